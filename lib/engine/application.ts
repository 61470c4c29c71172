/**
 * The library-level application API: what an application sees of a session.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import type { Field } from "../session/session.ts";

/** A log sink: one line per call. */
export type Logger = (level: "debug" | "info" | "warn" | "error", message: string) => void;

/** A logger that drops everything. */
export const silentLogger: Logger = () => {};

/** A logger writing `level message` lines to stderr for warn and error. */
export const consoleLogger: Logger = (level, message) => {
  if (level === "warn" || level === "error") console.error(`${level} ${message}`);
};

/** The application's view of one session. */
export interface SessionHandle {
  /** `BeginString:Sender->Target`. */
  readonly key: string;
  /** BeginString of the session. */
  readonly beginString: string;
  /** Our CompID. */
  readonly senderCompId: string;
  /** The counterparty's CompID. */
  readonly targetCompId: string;
  /** Whether Logons were exchanged. */
  readonly isLoggedOn: boolean;
  /** ApplVerID code in force for application messages (FIXT), e.g. `9`. */
  readonly applVerId: string | undefined;
  /**
   * Sends a message (stored first, then written). Fields follow MsgType; header
   * fields among them go to the header. Returns the MsgSeqNum used.
   *
   * The fields are read during the call and never kept: the caller may change and reuse the
   * array and its pairs once `send` returns (the built-in executor does, to allocate nothing
   * per order). An implementation that needs them later must copy them.
   */
  send(msgType: string, fields: Iterable<Field>): number;
  /** Refuses `message` as an unsupported message type (35=j 380=3, or 35=3 on FIX.4.0/4.1). */
  rejectUnsupported(message: FixMessage): void;
  /** Sends a Business Message Reject (35=j) for `message`. */
  businessReject(message: FixMessage, reason: number, refTagId?: number): void;
  /** Starts a Logout. */
  logout(text?: string): void;
}

/**
 * Where an inbound application message sits in the journal, and the identity derived from it.
 *
 * The pair (epoch, index) of the Inbound record is unique across a node pair's whole history: an
 * index is written once per epoch (a promoted node starts a new epoch, and a suffix a stepped-down
 * node quarantined keeps its old epoch), and it is the same when the message is handed to the
 * application again after a failover (see `lib/node/app_cursor.ts`). Ids built from it therefore
 * never repeat across failovers and restarts, and a replayed message gets the ids it would have
 * got the first time. With a store that is not a journal (the in-memory store) the index restarts
 * with the process and the ids are unique only within it.
 */
export class MessageContext {
  /** Journal index of the Inbound record of the message. */
  readonly index: number;
  /** Epoch the Inbound record was written in. */
  readonly epoch: number;
  #next = 0;

  constructor(index: number, epoch: number) {
    this.index = index;
    this.epoch = epoch;
  }

  /** `<epoch>-<index>`: an id unique to this inbound message (e.g. an OrderID). */
  get id(): string {
    return `${this.epoch}-${this.index}`;
  }

  /** `<epoch>-<index>-<n>` with n = 1, 2, …: one more id for this message (e.g. ExecIDs). */
  nextId(): string {
    return `${this.id}-${++this.#next}`;
  }
}

/** Callbacks an application implements; all optional. Exceptions are logged, never fatal. */
export interface Application {
  /** A session is logged on. */
  onLogon?(session: SessionHandle): void;
  /** A logged-on session ended. */
  onLogout?(session: SessionHandle, reason: string): void;
  /**
   * An application message arrived in sequence. `context` places it in the journal and gives ids
   * that survive failover (see {@linkcode MessageContext}).
   */
  onMessage?(message: FixMessage, session: SessionHandle, context: MessageContext): void;
  /** An admin message arrived and passed the session checks. */
  onAdmin?(message: FixMessage, session: SessionHandle): void;
  /** A message was stored and handed to the connection (after `awaitRelease`). */
  onSent?(msgType: string, seqNum: number, bytes: Uint8Array, session: SessionHandle): void;
  /** A Logon passed the session checks; return a text to refuse it (e.g. bad password). */
  authorizeLogon?(logon: FixMessage, session: SessionHandle): string | undefined;
}

const possiblyElsewhere = new WeakSet<FixMessage>();

/**
 * Whether `message` (as handed to {@linkcode Application.onMessage}) is a resend
 * (PossDupFlag=Y) this node has no record of, arriving after the session found
 * that outbound messages were lost in a failover: another node may already have
 * processed it, so the application should check before acting (the built-in
 * executor rejects such an order instead of filling it a second time).
 */
export function possiblyExecutedElsewhere(message: FixMessage): boolean {
  return possiblyElsewhere.has(message);
}

/** Marks `message` for {@linkcode possiblyExecutedElsewhere} (the session host does). */
export function markPossiblyExecutedElsewhere(message: FixMessage): void {
  possiblyElsewhere.add(message);
}
