/**
 * The initiator: connects to an ordered list of addresses, logs on, and
 * reconnects when the connection ends.
 *
 * Where to connect next and how long to wait first is asked of a
 * {@linkcode NextAddress} function (the seam for the connection strategies in
 * lib/transport); the default walks the list in order, moving to the next
 * address after every failure or disconnect, waiting
 * {@linkcode InitiatorOptions.reconnectDelayMs} between attempts, up to
 * {@linkcode InitiatorOptions.maxReconnectAttempts} failed attempts in a row.
 *
 * @module
 */

import type { Field } from "../session/session.ts";
import { type Application, consoleLogger, type Logger } from "./application.ts";
import { ConnectionRunner } from "./runner.ts";
import { type AwaitRelease, type HostSessionConfig, SessionHost } from "./session_host.ts";
import { MemorySessionStore, type SessionStore } from "./store.ts";

/** A TCP address. */
export interface Address {
  readonly hostname: string;
  readonly port: number;
}

/** What the initiator tells the strategy about the attempt to come. */
export interface AttemptInfo {
  /** The addresses configured. */
  readonly addresses: readonly Address[];
  /** Index into `addresses` of the previous attempt, -1 before the first. */
  readonly previousIndex: number;
  /** Failed attempts in a row (0 after a session that logged on). */
  readonly failures: number;
  /** Why the previous attempt ended. */
  readonly lastError: string | undefined;
}

/** Picks the next address and the delay before connecting; undefined stops the initiator. */
export type NextAddress = (
  info: AttemptInfo,
) => { readonly index: number; readonly delayMs: number } | undefined;

/** Default for {@linkcode InitiatorOptions.reconnectDelayMs}. */
export const DEFAULT_RECONNECT_DELAY_MS = 1_000;
/** Default for {@linkcode InitiatorOptions.maxReconnectAttempts}. */
export const DEFAULT_MAX_RECONNECT_ATTEMPTS = Number.POSITIVE_INFINITY;

/** Round robin over the addresses with a fixed delay after the first attempt. */
export function roundRobin(delayMs: number, maxFailures: number): NextAddress {
  return (info) => {
    if (info.failures >= maxFailures) return undefined;
    return {
      index: (info.previousIndex + 1) % info.addresses.length,
      delayMs: info.previousIndex < 0 ? 0 : delayMs,
    };
  };
}

/** Options for {@linkcode Initiator}. */
export interface InitiatorOptions {
  readonly session: Omit<HostSessionConfig, "role">;
  readonly addresses: readonly Address[];
  readonly store?: SessionStore;
  readonly application?: Application;
  readonly logger?: Logger;
  /** Strategy seam; default {@linkcode roundRobin}. */
  readonly nextAddress?: NextAddress;
  readonly reconnectDelayMs?: number;
  readonly maxReconnectAttempts?: number;
  readonly maxMessageBytes?: number;
  readonly maxOutboundBufferedBytes?: number;
  readonly awaitRelease?: AwaitRelease;
}

/** Keeps one session connected; see the module doc. */
export class Initiator implements AsyncDisposable {
  /** The session. */
  readonly host: SessionHost;
  readonly #options: InitiatorOptions;
  readonly #log: Logger;
  readonly #abort = new AbortController();
  #runner: ConnectionRunner | undefined;
  #loop: Promise<void> | undefined;

  constructor(options: InitiatorOptions) {
    if (options.addresses.length === 0) {
      throw new RangeError("Cannot create initiator: no addresses");
    }
    this.#options = options;
    this.#log = options.logger ?? consoleLogger;
    this.host = new SessionHost({
      config: { ...options.session, role: "initiator" },
      store: options.store ?? new MemorySessionStore(),
      application: options.application,
      logger: this.#log,
      awaitRelease: options.awaitRelease,
    });
  }

  /** Sends a message on the session (stored, then written when logged on). Returns the MsgSeqNum. */
  send(msgType: string, fields: Iterable<Field>): number {
    return this.host.send(msgType, fields);
  }

  /** Starts connecting (idempotent). */
  start(): this {
    this.#loop ??= this.#run();
    return this;
  }

  /** Resolves when the initiator has given up or was closed. */
  get done(): Promise<void> {
    return this.#loop ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    const o = this.#options;
    const next = o.nextAddress ??
      roundRobin(
        o.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS,
        o.maxReconnectAttempts ?? DEFAULT_MAX_RECONNECT_ATTEMPTS,
      );
    const signal = this.#abort.signal;
    let previousIndex = -1;
    let failures = 0;
    let lastError: string | undefined;
    while (!signal.aborted) {
      const choice = next({ addresses: o.addresses, previousIndex, failures, lastError });
      if (choice === undefined) {
        this.#log("warn", `${this.host.key}: giving up after ${failures} failed attempts`);
        return;
      }
      if (choice.delayMs > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, choice.delayMs);
          function done() {
            clearTimeout(t);
            signal.removeEventListener("abort", done);
            resolve();
          }
          signal.addEventListener("abort", done);
        });
        if (signal.aborted) return;
      }
      previousIndex = choice.index;
      const address = o.addresses[choice.index];
      if (address === undefined) throw new RangeError(`Cannot connect: no address ${choice.index}`);
      let conn: Deno.TcpConn;
      try {
        conn = await Deno.connect({ hostname: address.hostname, port: address.port });
      } catch (e) {
        failures++;
        lastError = e instanceof Error ? e.message : String(e);
        this.#log(
          "warn",
          `${this.host.key}: connect to ${address.hostname}:${address.port} failed: ${lastError}`,
        );
        continue;
      }
      if (signal.aborted) {
        conn.close();
        return;
      }
      conn.setNoDelay(true);
      const runner = new ConnectionRunner({
        conn,
        logger: this.#log,
        host: this.host,
        ...(o.maxMessageBytes === undefined ? {} : { maxMessageBytes: o.maxMessageBytes }),
        ...(o.maxOutboundBufferedBytes === undefined
          ? {}
          : { maxOutboundBufferedBytes: o.maxOutboundBufferedBytes }),
      });
      this.#runner = runner;
      const logonsBefore = this.host.logonCount;
      try {
        await runner.run();
      } finally {
        this.#runner = undefined;
      }
      if (this.host.logonCount > logonsBefore) failures = 0;
      else failures++;
      lastError = "connection closed";
    }
  }

  /** Logs out (when logged on), closes the connection and stops reconnecting. */
  async close(): Promise<void> {
    this.#abort.abort();
    const runner = this.#runner;
    if (runner !== undefined) {
      if (this.host.isLoggedOn) {
        this.host.logout("Initiator closing");
        const timer = setTimeout(() => runner.close("initiator closing"), 2_000);
        await this.#loop;
        clearTimeout(timer);
      } else {
        runner.close("initiator closing");
      }
    }
    await this.#loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
