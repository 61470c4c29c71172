/**
 * Runs parsed acceptance scripts ({@linkcode parseScript}) against a FIX acceptor over TCP: the
 * script plays the initiator. The sockets and the clock live here; parsing, message completion,
 * framing and comparison are the pure functions of `at_script.ts` and `at_compare.ts`.
 *
 * Each script runs on fresh connections and stops at its first failure. An `E` line waits up to
 * `timeoutMs` for the next message — longer when it expects a Heartbeat, TestRequest or Logout
 * and the connection's Logon asked for a heartbeat interval that needs it (the engine sends those
 * on its timers). `eDISCONNECT` waits as long for the engine to close, and fails on any data
 * received instead. A write into a connection the engine has already closed is noted in the
 * transcript, not failed: the following `E` or `eDISCONNECT` line decides.
 *
 * @module
 */

import { renderMessage, type Script, type Step } from "./at_script.ts";
import {
  compareMessages,
  type CompareOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  printable,
  takeMessage,
} from "./at_compare.ts";

/** How long an `E` or `eDISCONNECT` line waits by default. */
export const DEFAULT_EXPECT_TIMEOUT_MS = 10_000;

/** Extra time granted beyond 1.5 heartbeat intervals when a timer-driven message is expected. */
export const HEARTBEAT_GRACE_MS = 5_000;

/** Options of {@linkcode runScript}. */
export interface RunOptions {
  /** The acceptor's host. */
  readonly host: string;
  /** The acceptor's port. */
  readonly port: number;
  /** How long one `E` or `eDISCONNECT` line waits; default {@linkcode DEFAULT_EXPECT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** How received messages are compared with expected ones. */
  readonly compare?: CompareOptions;
  /** The largest message accepted from the engine; default {@linkcode DEFAULT_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
}

/** The outcome of one script. */
export interface ScriptResult {
  /** The script's name. */
  readonly name: string;
  /** Whether every line passed. */
  readonly passed: boolean;
  /** Wall time the script took. */
  readonly durationMs: number;
  /** The failing line (1-based), when it failed. */
  readonly line?: number;
  /** Why it failed. */
  readonly reason?: string;
  /** The expected message at the failing line (SOH shown as `|`). */
  readonly expected?: string;
  /** What was received instead (SOH shown as `|`). */
  readonly received?: string;
  /** Everything sent (`>`) and received (`<`) per connection, with notes (`!`). */
  readonly transcript: readonly string[];
}

class StepFailure extends Error {
  constructor(
    readonly step: Step,
    reason: string,
    readonly expected?: string,
    readonly received?: string,
  ) {
    super(reason);
  }
}

type Received =
  | { readonly kind: "message"; readonly text: string }
  | { readonly kind: "closed"; readonly leftover: string }
  | { readonly kind: "timeout"; readonly partial: string }
  | { readonly kind: "invalid"; readonly reason: string; readonly data: string };

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One TCP connection of a script, reading ahead without losing bytes across timeouts. */
class ScriptConnection {
  #conn: Deno.TcpConn;
  #buffer = new Uint8Array(0);
  #chunk = new Uint8Array(64 * 1024);
  #pending: Promise<number | null> | undefined;
  #eof = false;
  /** The HeartBtInt (108) of the last Logon the script sent here, in seconds. */
  heartbeatIntervalS = 0;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** Reads more bytes; resolves "timeout" at `deadlineMs` and keeps the read for next time. */
  async #fill(deadlineMs: number): Promise<"data" | "eof" | "timeout"> {
    if (this.#eof) return "eof";
    this.#pending ??= this.#conn.read(this.#chunk).catch(() => null);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadlineMs - Date.now()));
    });
    const n = await Promise.race([this.#pending, timeout]);
    clearTimeout(timer);
    if (n === "timeout") return "timeout";
    this.#pending = undefined;
    if (n === null) {
      this.#eof = true;
      return "eof";
    }
    const next = new Uint8Array(this.#buffer.length + n);
    next.set(this.#buffer);
    next.set(this.#chunk.subarray(0, n), this.#buffer.length);
    this.#buffer = next;
    return "data";
  }

  /** The next whole message, or why there is none before `deadlineMs`. */
  async receive(deadlineMs: number, maxMessageBytes: number): Promise<Received> {
    for (;;) {
      const frame = takeMessage(this.#buffer, maxMessageBytes);
      if (frame.kind === "message") {
        this.#buffer = this.#buffer.subarray(frame.bytes);
        return { kind: "message", text: frame.text };
      }
      if (frame.kind === "invalid") {
        return { kind: "invalid", reason: frame.reason, data: decoder.decode(this.#buffer) };
      }
      const filled = await this.#fill(deadlineMs);
      if (filled === "eof") return { kind: "closed", leftover: decoder.decode(this.#buffer) };
      if (filled === "timeout") return { kind: "timeout", partial: decoder.decode(this.#buffer) };
    }
  }

  /** Whether the engine closed the connection before `deadlineMs` without sending anything. */
  async awaitClose(deadlineMs: number): Promise<"closed" | "timeout" | { data: string }> {
    if (this.#buffer.length > 0) return { data: decoder.decode(this.#buffer) };
    const filled = await this.#fill(deadlineMs);
    if (filled === "eof") return "closed";
    if (filled === "timeout") return "timeout";
    return { data: decoder.decode(this.#buffer) };
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** The value of `tag` in a rendered message, if present. */
function fieldOf(message: string, tag: number): string | undefined {
  const m = new RegExp(`(?:^|\\x01)${tag}=([^\\x01]*)`).exec(message);
  return m?.[1];
}

/** The message types an engine sends on its own timers. */
const TIMER_DRIVEN_TYPES = new Set(["0", "1", "5"]);

/** Runs one script against the acceptor at `options.host:options.port`. */
export async function runScript(script: Script, options: RunOptions): Promise<ScriptResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXPECT_TIMEOUT_MS;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const connections = new Map<number, ScriptConnection>();
  const transcript: string[] = [];
  const startedMs = Date.now();
  const note = (id: number, mark: string, text: string) =>
    transcript.push(`${Date.now() - startedMs}ms ${id}${mark} ${printable(text)}`);
  const open = (step: Step): ScriptConnection => {
    const c = connections.get(step.connection);
    if (!c) throw new StepFailure(step, `connection ${step.connection} is not open`);
    return c;
  };

  const run = async (step: Step): Promise<void> => {
    switch (step.kind) {
      case "connect": {
        connections.get(step.connection)?.close();
        try {
          const conn = await Deno.connect({ hostname: options.host, port: options.port });
          connections.set(step.connection, new ScriptConnection(conn));
          note(step.connection, "!", "connected");
        } catch (e) {
          throw new StepFailure(
            step,
            `cannot connect to ${options.host}:${options.port}: ${(e as Error).message}`,
          );
        }
        return;
      }
      case "disconnect":
        open(step).close();
        connections.delete(step.connection);
        note(step.connection, "!", "disconnected");
        return;
      case "expect-connect":
        if (!connections.has(step.connection)) {
          throw new StepFailure(
            step,
            "eCONNECT before iCONNECT: scripts where the engine initiates need an engine that " +
              "connects to the runner, which this runner does not provide",
          );
        }
        return;
      case "expect-disconnect": {
        const c = open(step);
        const outcome = await c.awaitClose(Date.now() + timeoutMs);
        if (outcome === "timeout") {
          throw new StepFailure(step, `the engine did not disconnect within ${timeoutMs} ms`);
        }
        if (outcome !== "closed") {
          throw new StepFailure(
            step,
            "expected a disconnect, received data",
            "DISCONNECT",
            printable(outcome.data),
          );
        }
        c.close();
        connections.delete(step.connection);
        note(step.connection, "!", "disconnected by the engine");
        return;
      }
      case "send": {
        const c = open(step);
        const text = renderMessage(step.message!, Date.now());
        if (fieldOf(text, 35) === "A") {
          c.heartbeatIntervalS = Number(fieldOf(text, 108) ?? 0) || 0;
        }
        note(step.connection, ">", text);
        try {
          await c.write(encoder.encode(text));
        } catch (e) {
          note(step.connection, "!", `write failed: ${(e as Error).message}`);
        }
        return;
      }
      case "expect": {
        const c = open(step);
        const expected = renderMessage(step.message!, Date.now());
        const type = fieldOf(expected, 35) ?? "";
        const waitMs = TIMER_DRIVEN_TYPES.has(type)
          ? Math.max(timeoutMs, c.heartbeatIntervalS * 1500 + HEARTBEAT_GRACE_MS)
          : timeoutMs;
        const got = await c.receive(Date.now() + waitMs, maxMessageBytes);
        const want = printable(expected);
        switch (got.kind) {
          case "message": {
            note(step.connection, "<", got.text);
            const problems = compareMessages(expected, got.text, options.compare);
            if (problems.length > 0) {
              throw new StepFailure(step, problems.join("; "), want, printable(got.text));
            }
            return;
          }
          case "closed":
            throw new StepFailure(
              step,
              "the engine disconnected instead of sending a message",
              want,
              printable(got.leftover),
            );
          case "timeout":
            throw new StepFailure(
              step,
              `no message within ${waitMs} ms`,
              want,
              printable(got.partial),
            );
          case "invalid":
            throw new StepFailure(
              step,
              `received bytes are not a valid message: ${got.reason}`,
              want,
              printable(got.data),
            );
          default: {
            const never: never = got;
            throw new Error(`unreachable ${String(never)}`);
          }
        }
      }
      default: {
        const never: never = step.kind;
        throw new Error(`unreachable step kind ${String(never)}`);
      }
    }
  };

  try {
    for (const step of script.steps) await run(step);
    return { name: script.name, passed: true, durationMs: Date.now() - startedMs, transcript };
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    return {
      name: script.name,
      passed: false,
      durationMs: Date.now() - startedMs,
      line: e.step.line,
      reason: e.message,
      ...(e.expected === undefined ? {} : { expected: e.expected }),
      ...(e.received === undefined ? {} : { received: e.received }),
      transcript,
    };
  } finally {
    for (const c of connections.values()) c.close();
  }
}

/** One line for a result: `PASS name (ms)` or `FAIL name: line N: reason | expected … | received …`. */
export function formatResult(result: ScriptResult): string {
  if (result.passed) return `PASS ${result.name} (${result.durationMs} ms)`;
  let line = `FAIL ${result.name}: line ${result.line}: ${result.reason}`;
  if (result.expected !== undefined) line += ` | expected: ${result.expected}`;
  if (result.received !== undefined) line += ` | received: ${result.received}`;
  return line;
}

/** Waits until `host:port` accepts connections; false when `deadlineMs` passes first. */
export async function waitForPort(
  host: string,
  port: number,
  deadlineMs: number,
): Promise<boolean> {
  for (;;) {
    try {
      (await Deno.connect({ hostname: host, port })).close();
      return true;
    } catch {
      if (Date.now() >= deadlineMs) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
