/**
 * What goes into a {@linkcode Session} (events) and what comes out of it
 * (actions, state transitions), as values.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import type { LostOutboundRange } from "./counterparty_ahead.ts";
import type { Field } from "./session_config.ts";

/** Session states. */
export type SessionStateName =
  | "disconnected"
  | "awaiting-logon"
  | "logon-sent"
  | "active"
  | "logout-sent";

/** One recorded state change. */
export interface StateTransition {
  readonly from: SessionStateName;
  readonly to: SessionStateName;
  readonly why: string;
  readonly atMs: number;
}

/** What the runner must do, in order. */
export type SessionAction =
  | {
    /** Write a message: persist first when `persist`, then transmit when `transmit`. */
    readonly type: "send";
    readonly msgType: string;
    readonly seqNum: number;
    readonly bytes: Uint8Array;
    readonly persist: boolean;
    readonly transmit: boolean;
  }
  | {
    /** An inbound message consumed its sequence number (journal it). */
    readonly type: "accepted";
    readonly message: FixMessage;
  }
  | {
    /** Sequence numbers changed other than by `send`/`accepted` (gap fill, reset, reject). */
    readonly type: "sequence";
    readonly nextSenderSeqNum: number;
    readonly nextTargetSeqNum: number;
    readonly reset: boolean;
    readonly why: string;
  }
  | {
    /** An application message for the application. */ readonly type: "deliver";
    readonly message: FixMessage;
    /**
     * A PossDupFlag=Y message new to this node after it learned that outbound messages were
     * lost: the counterparty may have had it processed by another node (a lossy failover).
     */
    readonly possiblyExecutedElsewhere?: true;
  }
  | {
    /** The counterparty has seen outbound messages this node never stored (journal it). */
    readonly type: "lost-outbound";
    readonly range: LostOutboundRange;
  }
  | {
    /** An admin message was received (for the application's admin hook). */ readonly type: "admin";
    readonly message: FixMessage;
  }
  | { /** The session is logged on. */ readonly type: "logon" }
  | { /** The logged-on session ended. */ readonly type: "logout"; readonly reason: string }
  | { /** Close the connection. */ readonly type: "disconnect"; readonly reason: string }
  | { /** A state change. */ readonly type: "state"; readonly transition: StateTransition }
  | {
    /** Something worth a log line. */ readonly type: "log";
    readonly level: "info" | "warn";
    readonly text: string;
  };

/** Events a session reacts to (see {@linkcode Session.handle}). */
export type SessionEvent =
  | { readonly type: "connected" }
  | { readonly type: "received"; readonly message: FixMessage }
  | { readonly type: "garbled"; readonly detail: string }
  | { readonly type: "timer" }
  | { readonly type: "disconnected"; readonly reason: string }
  | { readonly type: "send"; readonly msgType: string; readonly fields: Iterable<Field> }
  | { readonly type: "logout"; readonly text: string };

/** Thrown when a method is called in a state where it makes no sense (a caller bug). */
export class SessionStateError extends Error {
  /** The state the session was in. */
  readonly state: SessionStateName;
  constructor(state: SessionStateName, message: string) {
    super(message);
    this.name = "SessionStateError";
    this.state = state;
  }
}

/** The methods {@linkcode deliverEvent} calls: those of a `Session`. */
export interface SessionEventTarget {
  connect(nowMs: number): SessionAction[];
  receive(message: FixMessage, nowMs: number): SessionAction[];
  garbled(detail: string, nowMs: number): SessionAction[];
  tick(nowMs: number): SessionAction[];
  disconnected(reason: string, nowMs: number): SessionAction[];
  send(msgType: string, fields: Iterable<Field>, nowMs: number): SessionAction[];
  logout(text: string, nowMs: number): SessionAction[];
}

/** Hands `event` to the method of `session` that takes it (`Session.handle`). */
export function deliverEvent(
  session: SessionEventTarget,
  event: SessionEvent,
  nowMs: number,
): SessionAction[] {
  switch (event.type) {
    case "connected":
      return session.connect(nowMs);
    case "received":
      return session.receive(event.message, nowMs);
    case "garbled":
      return session.garbled(event.detail, nowMs);
    case "timer":
      return session.tick(nowMs);
    case "disconnected":
      return session.disconnected(event.reason, nowMs);
    case "send":
      return session.send(event.msgType, event.fields, nowMs);
    case "logout":
      return session.logout(event.text, nowMs);
    default: {
      const never: never = event;
      throw new TypeError(`Cannot handle event ${JSON.stringify(never)}`);
    }
  }
}
