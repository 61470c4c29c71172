import { readLines } from "../io/read_lines.ts";
/**
 * A child process of the demo: this same program run with other arguments,
 * its output kept (the last lines) for the summary when something fails.
 *
 * @module
 */

/** Most output lines a child keeps. */
export const MAX_CHILD_LINES = 200;

/**
 * The command that runs this program again: `deno run -A <main module>` under
 * `deno`, the executable itself when compiled with `deno compile`.
 */
export function selfCommand(): { program: string; prefix: string[] } {
  const exe = Deno.execPath();
  const base = exe.split(/[\\/]/).pop() ?? exe;
  if (/^deno(\.exe)?$/i.test(base)) {
    return { program: exe, prefix: ["run", "-A", Deno.mainModule] };
  }
  return { program: exe, prefix: [] };
}

/** One child: see the module doc. */
export class Child implements AsyncDisposable {
  readonly name: string;
  readonly lines: string[] = [];
  readonly #process: Deno.ChildProcess;
  readonly #pumps: Promise<void>;
  #exited = false;
  #waiters: { text: string; resolve: () => void }[] = [];
  /** Resolves when the process ended. */
  readonly status: Promise<Deno.CommandStatus>;

  constructor(name: string, args: string[], env: Record<string, string>) {
    this.name = name;
    const self = selfCommand();
    this.#process = new Deno.Command(self.program, {
      args: [...self.prefix, ...args],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.status = this.#process.status.then((s) => {
      this.#exited = true;
      for (const w of this.#waiters) w.resolve();
      this.#waiters = [];
      return s;
    });
    this.#pumps = Promise.all([
      this.#pump(this.#process.stdout),
      this.#pump(this.#process.stderr),
    ]).then(() => {});
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const line of readLines(stream)) {
      this.lines.push(line);
      if (this.lines.length > MAX_CHILD_LINES) this.lines.shift();
      this.#waiters = this.#waiters.filter((w) => !(line.includes(w.text) && (w.resolve(), true)));
    }
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Resolves when a line containing `text` appears; rejects if the process ends first. */
  async waitFor(text: string, signal: AbortSignal): Promise<void> {
    if (this.lines.some((l) => l.includes(text))) return;
    const { promise, resolve } = Promise.withResolvers<void>();
    const waiter = { text, resolve };
    this.#waiters.push(waiter);
    const onAbort = () => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await promise;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
    }
    signal.throwIfAborted();
    if (!this.lines.some((l) => l.includes(text))) {
      throw new Error(
        `Cannot start ${this.name}: it exited; its last output:\n${
          this.lines.slice(-10).join("\n")
        }`,
      );
    }
  }

  /** Sends `signal` unless the process has ended. */
  kill(signal: Deno.Signal = "SIGKILL"): void {
    if (this.#exited) return;
    try {
      this.#process.kill(signal);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // it exited meanwhile
    }
  }

  /** SIGKILLs the process and waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.kill("SIGKILL");
    await this.status;
    await this.#pumps;
  }
}

/**
 * Reports a demo that failed or was interrupted: the error and the last lines of every child that
 * printed something. Returns the exit code (130 when `signal` was aborted, else 1).
 */
export function reportDemoFailure(
  error: unknown,
  signal: AbortSignal,
  children: readonly (Child | undefined)[],
  out: (text: string) => void,
): number {
  if (signal.aborted) {
    out("\nInterrupted: stopping everything the demo started.\n");
    return 130;
  }
  out(`\n${error instanceof Error ? error.message : String(error)}\n`);
  for (const c of children) {
    if (c && c.lines.length > 0) {
      out(`--- last output of ${c.name} ---\n${c.lines.slice(-8).join("\n")}\n`);
    }
  }
  return 1;
}
