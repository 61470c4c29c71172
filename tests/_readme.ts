/**
 * The README as `tests/readme_test.ts` reads it: sections (`## ` headings), their fenced code
 * blocks, the `<!-- readme-test: … -->` marker before a block, shell blocks cut into commands,
 * and the README's fixed ports mapped to free ones. Pure: no I/O.
 *
 * Markers (an HTML comment on its own line, separated from the block by blank lines at most):
 *
 * - `<!-- readme-test: skip (reason) -->` — the block is not run; the test reports the reason.
 * - `<!-- readme-test: fragment -->` — a YAML block that is part of a configuration: it must
 *   parse, but is not given to `check-config`.
 * - `<!-- readme-test: file NAME -->` — the name the block is written under in the working
 *   directory (otherwise a first-line comment `# NAME.yaml` or `// NAME.ts` names it).
 *
 * @module
 */

/** What the test does with a block, by its fence language. */
export type BlockKind = "yaml" | "sh" | "ts" | "other";

/** A fenced code block. */
export interface Block {
  /** The block's kind (from the fence's language). */
  readonly kind: BlockKind;
  /** The fence's language as written (`""` when none). */
  readonly lang: string;
  /** The block's text, without the fences. */
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The `## ` section it belongs to. */
  readonly section: string;
  /** The marker before it, if any: `skip`, `fragment` or `file`, with its argument. */
  readonly marker?: { readonly kind: "skip" | "fragment" | "file"; readonly arg: string };
}

/** One command of a shell block. */
export interface Command {
  /** The command as bash takes it (continuation lines joined as written). */
  readonly text: string;
  /** 1-based README line where it starts. */
  readonly line: number;
}

const KINDS: Record<string, BlockKind> = {
  yaml: "yaml",
  yml: "yaml",
  sh: "sh",
  bash: "sh",
  shell: "sh",
  ts: "ts",
  typescript: "ts",
};

const MARKER = /^<!--\s*readme-test:\s*(skip|fragment|file)\b\s*(.*?)\s*-->\s*$/;

/** Every fenced block of `markdown`, in order, with its section and marker. */
export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let section = "";
  let marker: Block["marker"] | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = /^(```+)\s*([\w-]*)/.exec(line);
    if (fence) {
      const close = fence[1]!;
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith(close); i++) body.push(lines[i]!);
      const lang = fence[2]!.toLowerCase();
      blocks.push({
        kind: KINDS[lang] ?? "other",
        lang,
        code: body.join("\n") + "\n",
        line: start + 1,
        section,
        ...(marker ? { marker } : {}),
      });
      marker = undefined;
      continue;
    }
    const m = MARKER.exec(line.trim());
    if (m) {
      const arg = m[2]!.replace(/^\((.*)\)$/, "$1");
      marker = { kind: m[1] as "skip" | "fragment" | "file", arg };
      continue;
    }
    if (line.startsWith("## ")) section = line.slice(3).trim();
    if (line.trim() !== "") marker = undefined; // a marker binds to the very next block only
  }
  return blocks;
}

/**
 * Cuts a shell block into commands: a line ending in `\` continues, and so does a line that leaves
 * a quote open; blank lines and lines holding only a comment are dropped.
 */
export function shellCommands(code: string, firstLine: number): Command[] {
  const commands: Command[] = [];
  const lines = code.split("\n");
  let text = "";
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (text === "") {
      if (line.trim() === "" || line.trim().startsWith("#")) continue;
      start = firstLine + 1 + i;
    }
    text += (text === "" ? "" : "\n") + line;
    if (line.endsWith("\\") || quoteOpen(text)) continue;
    commands.push({ text, line: start });
    text = "";
  }
  if (text !== "") commands.push({ text, line: start });
  return commands;
}

/** Whether `text` leaves a single or double quote open (a `#` outside quotes ends the scan of its line). */
function quoteOpen(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === undefined) {
      if (c === "'" || c === '"') quote = c;
      else if (c === "\\") i++;
      else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
        const nl = text.indexOf("\n", i);
        if (nl < 0) return false;
        i = nl;
      }
    } else if (c === quote) {
      quote = undefined;
    } else if (c === "\\" && quote === '"') {
      i++;
    }
  }
  return quote !== undefined;
}

/** Whether a command only sets environment variables (`export A="…"  # comment`, `A=…`). */
export function isAssignment(command: string): boolean {
  const bare = command.trim()
    .replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, "Q")
    .replace(/\s+#.*$/, "")
    .replace(/^export\s+/, "");
  return /^[A-Za-z_]\w*=\S*$/.test(bare);
}

/**
 * The words of `command` that an unquoted `>` or `<` glued to them would turn into a redirection:
 * `--session FIX.4.4:VENUE->CLIENT` writes the output to a file `CLIENT`. A redirection after a
 * file descriptor number (`2>&1`) or `&` (`&>`) is not reported.
 */
export function gluedRedirections(command: string): string[] {
  const found: string[] = [];
  let quote: string | undefined;
  let wordStart = 0;
  for (let i = 0; i < command.length; i++) {
    const c = command[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === "\\" && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (/\s/.test(c)) wordStart = i + 1;
    else if (c === "#" && i === wordStart) {
      const nl = command.indexOf("\n", i);
      if (nl < 0) break;
      i = nl;
      wordStart = nl + 1;
    } else if ((c === ">" || c === "<") && i > wordStart) {
      const before = command.slice(wordStart, i);
      if (!/^\d+$/.test(before) && !before.endsWith("&") && !/[<>|]$/.test(before)) {
        const end = command.slice(i).search(/\s|$/);
        found.push(command.slice(wordStart, i + end));
      }
    }
  }
  return found;
}

/** Every port the README names as `host:port` (127.0.0.1, localhost, 0.0.0.0, [::1]). */
export function readmePorts(markdown: string): number[] {
  const ports = new Set<number>();
  for (const m of markdown.matchAll(/(?:127\.0\.0\.1|localhost|0\.0\.0\.0|\[::1\]):(\d{2,5})\b/g)) {
    const port = Number(m[1]);
    if (port >= 1024 && port <= 65535) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Replaces every README port (as a whole number) in `text` by its free counterpart. */
export function remapPorts(text: string, map: ReadonlyMap<number, number>): string {
  if (map.size === 0) return text;
  const alternatives = [...map.keys()].join("|");
  return text.replace(
    new RegExp(`(?<![\\d.])(${alternatives})(?![\\d])`, "g"),
    (p) => String(map.get(Number(p))),
  );
}

/** The file name a block is written under: its `file` marker, a first-line comment, or its line. */
export function blockFileName(block: Block): string {
  if (block.marker?.kind === "file") return block.marker.arg;
  const first = block.code.split("\n")[0]!.trim();
  const ext = block.kind === "yaml" ? "yaml" : block.kind === "ts" ? "ts" : "txt";
  const named = /^(?:#|\/\/)\s*([\w.-]+\.(?:ya?ml|ts))\b/.exec(first);
  return named ? named[1]! : `readme-line-${block.line}.${ext}`;
}
