/**
 * The QuickFIX acceptance-test script format (`*.def`), parsed into steps. Pure: no I/O, no
 * clock; the time arrives as a value when a message line is made ready to send or compare.
 *
 * ## Format
 *
 * One directive per line; lines end in LF or CRLF; messages carry raw SOH (0x01) bytes.
 *
 * | line                         | meaning                                                        |
 * | ---------------------------- | -------------------------------------------------------------- |
 * | empty, or starting with `#`  | ignored                                                        |
 * | `iCONNECT`                   | the script (initiator) opens a connection to the engine        |
 * | `iDISCONNECT`                | the script closes that connection                              |
 * | `eCONNECT`                   | the script expects the engine to connect (engine as initiator) |
 * | `eDISCONNECT`                | the script expects the engine to close the connection          |
 * | `I<message>`                 | the script sends the message                                   |
 * | `E<message>`                 | the script expects the engine's next message to match          |
 *
 * Each directive letter may be followed by a connection number and a comma (`I2,8=FIX…`,
 * `i2,CONNECT`); without one, the line is about connection 1.
 *
 * In `I` and `E` lines, `<TIME>` becomes the current UTC time as `yyyyMMdd-HH:mm:ss`, and
 * `<TIME+N>` / `<TIME-N>` that time plus or minus N seconds. A message without BodyLength (9)
 * gets one computed after BeginString (8), and one without CheckSum (10) gets one appended, so
 * scripts can leave out what they do not mean to get wrong. A message that does not start with
 * BeginString is sent as written (scripts send such garbage on purpose). The computed BodyLength
 * is always the true one: QuickFIX's own runner makes it one byte short when the script gives a
 * CheckSum (`3b_InvalidChecksum`), which turns a bad-CheckSum test into a bad-length one.
 *
 * @module
 */

/** What a script line asks for. */
export type StepKind =
  | "connect"
  | "disconnect"
  | "expect-connect"
  | "expect-disconnect"
  | "send"
  | "expect";

/** One directive of a script. */
export interface Step {
  /** What to do. */
  readonly kind: StepKind;
  /** The connection it concerns (1 when the line names none). */
  readonly connection: number;
  /** 1-based line number in the script, for error messages. */
  readonly line: number;
  /** For `send` and `expect`: the message template, before time substitution and completion. */
  readonly message?: string;
}

/** A parsed script. */
export interface Script {
  /** The name it was parsed under (usually the file path). */
  readonly name: string;
  /** Its directives, in order. */
  readonly steps: readonly Step[];
}

/** A line that is not a directive of the format. */
export class ScriptSyntaxError extends SyntaxError {
  /** The script's name. */
  readonly script: string;
  /** 1-based line number. */
  readonly lineNumber: number;

  /** Builds the error for `script` at `lineNumber`. */
  constructor(script: string, lineNumber: number, reason: string) {
    super(`Cannot parse ${script} line ${lineNumber}: ${reason}`);
    this.name = "ScriptSyntaxError";
    this.script = script;
    this.lineNumber = lineNumber;
  }
}

const SOH = "\x01";
const DIRECTIVE = /^([IEie])(?:(\d+),)?(.*)$/s;

/** Parses the text of a `.def` script; throws {@linkcode ScriptSyntaxError} on a line it does not know. */
export function parseScript(text: string, name: string): Script {
  const steps: Step[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const raw = lines[i]!.endsWith("\r") ? lines[i]!.slice(0, -1) : lines[i]!;
    if (raw.trim() === "" || raw.startsWith("#")) continue;
    const m = DIRECTIVE.exec(raw);
    if (!m) {
      throw new ScriptSyntaxError(name, lineNumber, `unknown directive ${JSON.stringify(raw[0])}`);
    }
    const [, letter, number, rest] = m as unknown as [string, string, string | undefined, string];
    const connection = number === undefined ? 1 : Number(number);
    if (connection < 1) {
      throw new ScriptSyntaxError(name, lineNumber, `connection number ${number} is not 1 or more`);
    }
    if (letter === "I" || letter === "E") {
      const kind = letter === "I" ? "send" : "expect";
      steps.push({ kind, connection, line: lineNumber, message: rest });
      continue;
    }
    const verb = rest.trim();
    if (verb !== "CONNECT" && verb !== "DISCONNECT") {
      throw new ScriptSyntaxError(
        name,
        lineNumber,
        `${letter} must be followed by CONNECT or DISCONNECT, not ${JSON.stringify(verb)}`,
      );
    }
    const kind: StepKind = letter === "i"
      ? (verb === "CONNECT" ? "connect" : "disconnect")
      : (verb === "CONNECT" ? "expect-connect" : "expect-disconnect");
    steps.push({ kind, connection, line: lineNumber });
  }
  return { name, steps };
}

/** `yyyyMMdd-HH:mm:ss` in UTC. */
export function formatScriptTime(epochMs: number): string {
  const d = new Date(epochMs);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Replaces every `<TIME>`, `<TIME+N>` and `<TIME-N>` (N in seconds) with the time at `nowMs`. */
export function substituteTimes(message: string, nowMs: number): string {
  return message.replace(
    /<TIME(?:([+-])(\d+))?>/g,
    (_, sign: string | undefined, seconds: string | undefined) => {
      const offsetMs = sign === undefined ? 0 : Number(seconds) * 1000 * (sign === "-" ? -1 : 1);
      return formatScriptTime(nowMs + offsetMs);
    },
  );
}

const encoder = new TextEncoder();

/** The FIX CheckSum of `bytes`: their sum modulo 256. */
export function checksumOf(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return sum % 256;
}

/**
 * Adds what a script message leaves out: BodyLength (9) right after BeginString when there is
 * none, CheckSum (10) at the end when there is none. A message that has both, or that does not
 * start with BeginString, is returned as is (scripts give wrong values on purpose). The length counts the bytes after BodyLength's SOH up
 * to and including the SOH before CheckSum, whether CheckSum was given or computed.
 */
export function completeMessage(message: string): string {
  if (!message.startsWith("8=")) return message;
  const fields = message.split(SOH);
  if (fields.at(-1) === "") fields.pop();
  const hasLength = fields.some((f) => f.startsWith("9="));
  const last = fields.at(-1);
  const givenChecksum = last !== undefined && last.startsWith("10=") ? last : undefined;
  if (hasLength && givenChecksum !== undefined) return message;
  const body = givenChecksum === undefined ? fields : fields.slice(0, -1);
  let head: string[];
  if (hasLength) {
    head = body;
  } else {
    const [begin, ...rest] = body;
    const bodyBytes = encoder.encode(rest.map((f) => f + SOH).join("")).length;
    head = [begin!, `9=${bodyBytes}`, ...rest];
  }
  const text = head.map((f) => f + SOH).join("");
  const trailer = givenChecksum ??
    `10=${String(checksumOf(encoder.encode(text))).padStart(3, "0")}`;
  return text + trailer + SOH;
}

/** Substitutes times, then completes the message: what a script's `I` or `E` line stands for. */
export function renderMessage(template: string, nowMs: number): string {
  return completeMessage(substituteTimes(template, nowMs));
}
