/**
 * A session living in the engine: the pure {@linkcode Session} wired to a store,
 * an application and (while connected) one connection runner.
 *
 * The host carries out the session's actions in order. An outbound message is
 * appended to the store before it is handed to the connection; when the
 * `awaitRelease` hook returns a promise (a replication ack strategy), the
 * message waits for it, and later messages queue behind it so the wire order
 * never changes. With no hook, or when the hook returns undefined, the path is
 * synchronous.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import {
  type Field,
  Session,
  type SessionAction,
  type SessionConfig,
  sessionKeyOf,
} from "../session/session.ts";
import {
  type Application,
  type Logger,
  markPossiblyExecutedElsewhere,
  MessageContext,
  type SessionHandle,
} from "./application.ts";
import type { LostOutboundRange } from "../session/counterparty_ahead.ts";
import type { SessionStore } from "./store.ts";

/** Decides when a stored outbound message may reach the socket (HA ack strategies). */
export type AwaitRelease = (index: number, msgType: string) => Promise<void> | undefined;

/** The connection side a host talks to (implemented by the connection runner). */
export interface HostConnection {
  /** Queues bytes for writing, after `release` when given (in order). */
  enqueue(bytes: Uint8Array, release: Promise<void> | undefined): void;
  /** Flushes what is queued, then closes. */
  close(reason: string): void;
  /** Re-arms the session timer from the session's next deadline. */
  reschedule(): void;
}

/** Session settings the engine fills in itself are left out. */
export type HostSessionConfig =
  & Omit<SessionConfig, "outbound" | "nextSenderSeqNum" | "nextTargetSeqNum" | "authorizeLogon">
  & {
    /**
     * Checks a Logon that passed the session checks, before the application's `authorizeLogon`
     * (credentials, HeartBtInt bounds: see `logon_policy.ts`); return a text to refuse it.
     */
    readonly checkLogon?: (logon: FixMessage) => string | undefined;
  };

/** Options for {@linkcode SessionHost}. */
export interface SessionHostOptions {
  readonly config: HostSessionConfig;
  readonly store: SessionStore;
  readonly application?: Application | undefined;
  readonly logger: Logger;
  readonly awaitRelease?: AwaitRelease | undefined;
  /** The clock (epoch ms). Default `Date.now`. */
  readonly clock?: () => number;
}

/** One configured session: state machine + store + application + current connection. */
export class SessionHost implements SessionHandle {
  /** The state machine. */
  readonly session: Session;
  /** The store's id for this session. */
  readonly sessionId: number;
  readonly #store: SessionStore;
  readonly #app: Application | undefined;
  readonly #log: Logger;
  readonly #awaitRelease: AwaitRelease | undefined;
  readonly #clock: () => number;
  #conn: HostConnection | undefined;
  /** Store index of the last inbound message accepted (the next `deliver` is that message). */
  #inboundIndex = 0;
  #depth = 0;
  #logons = 0;
  #lost: LostOutboundRange[] = [];

  constructor(options: SessionHostOptions) {
    const { store } = options;
    const { checkLogon, ...config } = options.config;
    this.#store = store;
    this.#app = options.application;
    this.#log = options.logger;
    this.#awaitRelease = options.awaitRelease;
    this.#clock = options.clock ?? Date.now;
    const key = sessionKeyOf(config.beginString, config.senderCompId, config.targetCompId, config);
    this.sessionId = store.defineSession(key);
    const seq = store.sequenceNumbers(this.sessionId);
    const app = this.#app;
    let periodStartAtMs: number | undefined;
    if (config.schedule !== undefined && config.periodStartAtMs === undefined) {
      const resetAtMs = store.resetAtMs?.(this.sessionId);
      // A period start no real period has (NaN) when the numbers date from outside session time.
      if (resetAtMs !== undefined) {
        periodStartAtMs = config.schedule.periodAt(resetAtMs)?.startAtMs ?? NaN;
      }
    }
    this.session = new Session({
      ...config,
      ...(periodStartAtMs === undefined ? {} : { periodStartAtMs }),
      nextSenderSeqNum: seq.nextSenderSeqNum,
      nextTargetSeqNum: seq.nextTargetSeqNum,
      outbound: (n) => store.outbound(this.sessionId, n),
      ...(app?.authorizeLogon || checkLogon
        ? {
          authorizeLogon: (m: FixMessage) => checkLogon?.(m) ?? app?.authorizeLogon?.(m, this),
        }
        : {}),
    });
  }

  get key(): string {
    return this.session.key;
  }
  get beginString(): string {
    return this.session.config.beginString;
  }
  get senderCompId(): string {
    return this.session.config.senderCompId;
  }
  get targetCompId(): string {
    return this.session.config.targetCompId;
  }
  get isLoggedOn(): boolean {
    return this.session.isLoggedOn;
  }
  get applVerId(): string | undefined {
    return this.session.senderApplVerId ?? this.session.targetApplVerId;
  }
  /** How many times the session has logged on since the host was created. */
  get logonCount(): number {
    return this.#logons;
  }
  /** Lost outbound ranges found since the host was created (the last 16), oldest first. */
  get lostOutbound(): readonly LostOutboundRange[] {
    return this.#lost;
  }
  /** Whether a connection is attached. */
  get isConnected(): boolean {
    return this.#conn !== undefined;
  }

  /** Attaches a new connection; false when one is already attached. */
  attach(conn: HostConnection): boolean {
    if (this.#conn !== undefined) return false;
    this.#conn = conn;
    const now = this.#clock();
    this.#run(this.session.connect(now), now);
    return true;
  }

  /** The attached connection closed. */
  detach(conn: HostConnection, reason: string): void {
    if (conn !== this.#conn) return;
    this.#conn = undefined;
    const now = this.#clock();
    this.#run(this.session.disconnected(reason, now), now);
  }

  /**
   * Writes out what the store staged; the connection calls it before each socket write
   * (write-ahead). Throws when the store cannot write.
   */
  flushStore(): void {
    this.#store.flush?.();
  }

  /** A message arrived on the attached connection. */
  receive(message: FixMessage): void {
    const now = this.#clock();
    this.#run(this.session.receive(message, now), now);
  }

  /**
   * Garbled bytes arrived; a garbled Logon ends the connection. `message` is the
   * garbled message decoded anyway, when it could be (for `rejectGarbledMessage`).
   */
  garbled(detail: string, msgType: string | undefined, message?: FixMessage): void {
    if (msgType === "A" && !this.session.isLoggedOn) {
      this.#log("warn", `${this.key}: garbled Logon (${detail}); disconnecting`);
      const conn = this.#conn;
      if (conn !== undefined) {
        this.detach(conn, "garbled Logon");
        conn.close("garbled Logon");
      }
      return;
    }
    const now = this.#clock();
    this.#run(this.session.garbled(detail, now, message), now);
  }

  /** Timer. */
  tick(): void {
    const now = this.#clock();
    this.#run(this.session.tick(now), now);
  }

  send(msgType: string, fields: Iterable<Field>): number {
    const seqNum = this.session.nextSenderSeqNum;
    const now = this.#clock();
    this.#run(this.session.send(msgType, fields, now), now);
    return seqNum;
  }

  rejectUnsupported(message: FixMessage): void {
    const now = this.#clock();
    this.#run(this.session.rejectUnsupported(message, now), now);
  }

  businessReject(message: FixMessage, reason: number, refTagId?: number): void {
    const now = this.#clock();
    this.#run(this.session.businessReject(message, reason, now, refTagId), now);
  }

  logout(text = ""): void {
    const now = this.#clock();
    this.#run(this.session.logout(text, now), now);
  }

  /** Resets sequence numbers (logs out first when logged on). */
  /** Sets the next sequence numbers (an operator action); stored like any sequence change. */
  setSequenceNumbers(
    numbers: { nextSenderSeqNum: number; nextTargetSeqNum: number },
    why: string,
  ): void {
    this.#log("info", `${this.key}: sequence numbers set (${why})`);
    const now = this.#clock();
    this.#run(
      this.session.setSequenceNumbers(
        numbers.nextSenderSeqNum,
        numbers.nextTargetSeqNum,
        now,
      ),
      now,
    );
  }

  resetSequenceNumbers(why: string): void {
    const now = this.#clock();
    this.#run(this.session.resetSequenceNumbers(why, now), now);
  }

  #call(name: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#threw(name, e);
    }
  }

  #threw(name: string, e: unknown): void {
    this.#log(
      "error",
      `${this.key}: application ${name} threw: ${
        e instanceof Error ? e.stack ?? e.message : String(e)
      }`,
    );
  }

  /** Carries out actions in order. */
  #run(actions: SessionAction[], now: number): void {
    this.#depth++;
    const app = this.#app;
    for (const a of actions) {
      switch (a.type) {
        case "send": {
          let release: Promise<void> | undefined;
          if (a.persist) {
            const index = this.#store.appendOutbound(this.sessionId, a.seqNum, a.bytes, now);
            release = this.#awaitRelease?.(index, a.msgType);
          }
          if (a.transmit && this.#conn !== undefined) {
            this.#conn.enqueue(a.bytes, release);
            if (app?.onSent) {
              // try/catch in place, not #call: no closure per message
              try {
                app.onSent(a.msgType, a.seqNum, a.bytes, this);
              } catch (e) {
                this.#threw("onSent", e);
              }
            }
          }
          break;
        }
        case "accepted":
          this.#inboundIndex = this.#store.appendInbound(
            this.sessionId,
            a.message.msgSeqNum,
            a.message.bytes,
            now,
          );
          break;
        case "sequence":
          this.#store.appendSequenceChange(this.sessionId, a, a.reset, now);
          break;
        case "deliver":
          if (a.possiblyExecutedElsewhere) markPossiblyExecutedElsewhere(a.message);
          if (app?.onMessage) {
            try {
              const context = new MessageContext(this.#inboundIndex, this.#store.epoch ?? 0);
              app.onMessage(a.message, this, context);
            } catch (e) {
              this.#threw("onMessage", e);
            }
          }
          break;
        case "lost-outbound":
          this.#store.appendLostOutbound?.(this.sessionId, a.range, now);
          this.#lost.push(a.range);
          if (this.#lost.length > 16) this.#lost.shift();
          break;
        case "admin":
          if (app?.onAdmin) {
            try {
              app.onAdmin(a.message, this);
            } catch (e) {
              this.#threw("onAdmin", e);
            }
          }
          break;
        case "logon":
          this.#logons++;
          this.#log("info", `${this.key}: logged on`);
          if (app?.onLogon) this.#call("onLogon", () => app.onLogon!(this));
          break;
        case "logout":
          this.#log("info", `${this.key}: logged out (${a.reason})`);
          if (app?.onLogout) this.#call("onLogout", () => app.onLogout!(this, a.reason));
          break;
        case "disconnect": {
          const conn = this.#conn;
          this.#conn = undefined;
          conn?.close(a.reason);
          break;
        }
        case "state":
          this.#log(
            "debug",
            `${this.key}: ${a.transition.from} -> ${a.transition.to}: ${a.transition.why}`,
          );
          break;
        case "log":
          this.#log(a.level, a.text);
          break;
        default: {
          const never: never = a;
          throw new TypeError(`Cannot carry out action ${JSON.stringify(never)}`);
        }
      }
    }
    // carried out: the session may fill the array again (after this loop, never inside it)
    this.session.releaseActions(actions);
    this.#depth--;
    if (this.#depth === 0) this.#conn?.reschedule();
  }
}
