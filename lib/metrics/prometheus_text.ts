/**
 * A strict reader of the Prometheus text exposition format, used by tests and
 * tools to check what `/metrics` serves.
 *
 * @module
 */

/** One sample line. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string, line: number): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  const v = Number(text);
  if (text === "" || Number.isNaN(v)) {
    throw new SyntaxError(`Cannot parse metrics line ${line}: value "${text}" is not a number`);
  }
  return v;
}

/**
 * Parses Prometheus text format into samples.
 * @throws {SyntaxError} naming the line when the text is malformed
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    const lineNo = n + 1;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
      if (m && m[1] === "TYPE" && !TYPES.has(m[3]!)) {
        throw new SyntaxError(`Cannot parse metrics line ${lineNo}: unknown type "${m[3]}"`);
      }
      continue;
    }
    const nameMatch = NAME.exec(line);
    if (!nameMatch) throw new SyntaxError(`Cannot parse metrics line ${lineNo}: no metric name`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      rest = rest.slice(1);
      while (!rest.startsWith("}")) {
        const ln = LABEL_NAME.exec(rest);
        if (!ln || rest[ln[0].length] !== "=" || rest[ln[0].length + 1] !== '"') {
          throw new SyntaxError(`Cannot parse metrics line ${lineNo}: bad label`);
        }
        rest = rest.slice(ln[0].length + 2);
        let value = "";
        let i = 0;
        for (; i < rest.length && rest[i] !== '"'; i++) {
          if (rest[i] === "\\") {
            const next = rest[++i];
            value += next === "n" ? "\n" : next;
          } else value += rest[i];
        }
        if (i >= rest.length) {
          throw new SyntaxError(`Cannot parse metrics line ${lineNo}: unterminated label value`);
        }
        labels[ln[0]] = value;
        rest = rest.slice(i + 1);
        if (rest.startsWith(",")) rest = rest.slice(1);
        else if (!rest.startsWith("}")) {
          throw new SyntaxError(`Cannot parse metrics line ${lineNo}: expected , or }`);
        }
      }
      rest = rest.slice(1);
    }
    if (!rest.startsWith(" ")) {
      throw new SyntaxError(`Cannot parse metrics line ${lineNo}: no space before value`);
    }
    const [valueText = "", timestamp] = rest.trim().split(/\s+/);
    if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) {
      throw new SyntaxError(`Cannot parse metrics line ${lineNo}: bad timestamp`);
    }
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(labels).sort()) sorted[k] = labels[k]!;
    samples.push({ name, labels: sorted, value: parseValue(valueText, lineNo) });
  }
  return samples;
}
