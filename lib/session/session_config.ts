/**
 * What a {@linkcode Session} is configured with: its identity and role, the
 * protocol switches QuickFIX users know, limits with their named defaults, and
 * the hooks it calls synchronously (validation, Logon authorisation, the
 * look-up of sent messages for resends).
 *
 * @module
 */

import type { FieldValue } from "../fix/encoder.ts";
import type { FixMessage } from "../fix/message.ts";
import type { CounterpartyAheadPolicy, LogonLoopOptions } from "./counterparty_ahead.ts";
import type { SessionIdParts } from "./session_id.ts";
import { VERSION_RANK } from "./session_fields.ts";

/** A `[tag, value]` pair. */
export type Field = readonly [number, FieldValue];

/** A dictionary validation result: SessionRejectReason (373), the tag at fault and a text. */
export interface ValidationIssue {
  /** SessionRejectReason (373) code. */
  readonly reason: number;
  /** The tag at fault, when there is one (goes to RefTagID 371). */
  readonly tag?: number;
  /** Human-readable text. */
  readonly text: string;
}

/** Validates a received message; `applVerId` is the application version (FIXT sessions). */
export type MessageValidator = (
  message: FixMessage,
  context: { readonly applVerId: string | undefined },
) => ValidationIssue | undefined;

/** Which side of the session this engine plays. */
export type SessionRole = "acceptor" | "initiator";

/**
 * Session configuration. Only the identity and role are required. The optional identity parts
 * ({@linkcode SessionIdParts}) are sent in the header of every message (a caller's own 50, 57,
 * 142 or 143 are then ignored), checked on every received message like the CompIDs, and part of
 * the session key.
 */
export interface SessionConfig extends SessionIdParts {
  /** `FIX.4.0` … `FIX.4.4` or `FIXT.1.1`. */
  readonly beginString: string;
  /** Our CompID (SenderCompID on what we send). */
  readonly senderCompId: string;
  /** The counterparty's CompID. */
  readonly targetCompId: string;
  /** Acceptor waits for a Logon; initiator sends one on connect. */
  readonly role: SessionRole;
  /** HeartBtInt the initiator proposes (the acceptor takes the counterparty's). Default 30. */
  readonly heartbeatIntervalS?: number;
  /** FIXT: DefaultApplVerID we send (code like `9` or name like `FIX.5.0SP2`). */
  readonly defaultApplVerId?: string;
  /** Reset sequence numbers when a Logon is sent/received. Default false. */
  readonly resetOnLogon?: boolean;
  /** Reset sequence numbers after a Logout exchange. Default false. */
  readonly resetOnLogout?: boolean;
  /** Reset sequence numbers when the connection drops. Default false. */
  readonly resetOnDisconnect?: boolean;
  /** Check SendingTime against our clock. Default true. */
  readonly checkLatency?: boolean;
  /** Largest accepted SendingTime difference. Default {@linkcode DEFAULT_SENDING_TIME_TOLERANCE_S}. */
  readonly sendingTimeToleranceS?: number;
  /** Check SenderCompID/TargetCompID of every message. Default true. */
  readonly checkCompId?: boolean;
  /** Send and honour NextExpectedMsgSeqNum (789) on Logon (FIX.4.4+). Default false. */
  readonly enableNextExpectedMsgSeqNum?: boolean;
  /** Time allowed for the Logon exchange. Default {@linkcode DEFAULT_LOGON_TIMEOUT_S}. */
  readonly logonTimeoutS?: number;
  /** Time allowed for the Logout answer. Default {@linkcode DEFAULT_LOGOUT_TIMEOUT_S}. */
  readonly logoutTimeoutS?: number;
  /** TestRequest after this many HeartBtInts of silence; disconnect after twice as many. Default 1.2. */
  readonly testRequestDelayMultiplier?: number;
  /** Split ResendRequests into chunks of this many messages; 0 = one request. Default 0. */
  readonly resendRequestChunkSize?: number;
  /** Send a new ResendRequest even when one covering the gap is outstanding. Default false. */
  readonly sendRedundantResendRequests?: boolean;
  /** Most messages served for one ResendRequest. Default {@linkcode DEFAULT_MAX_RESEND_RANGE}. */
  readonly maxResendRange?: number;
  /** Most out-of-order messages held while a gap is filled. Default {@linkcode DEFAULT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
  /** SendingTime fraction digits. Default 0 on FIX.4.0/4.1, else 3. */
  readonly timestampPrecision?: 0 | 3 | 6 | 9;
  /** Dictionary validation of received messages. */
  readonly validate?: MessageValidator;
  /** Fields added to the body of the Logon an initiator sends (e.g. Username 553, Password 554). */
  readonly logonFields?: readonly Field[];
  /** Called for a Logon that passed the session checks; return a text to refuse it. */
  readonly authorizeLogon?: (logon: FixMessage) => string | undefined;
  /** Whether a stored application message may be resent; false → gap-filled. Default: all. */
  readonly shouldResend?: (message: FixMessage) => boolean;
  /** Synchronous look-up of a sent message by sequence number (for ResendRequest). */
  readonly outbound?: (seqNum: number) => Uint8Array | undefined;
  /**
   * When the session may be logged on. Outside it a Logon is refused and a
   * logged-on session logs out; when a new period begins the sequence numbers
   * are reset to 1. Default: always.
   */
  readonly schedule?: {
    periodAt(nowMs: number): { readonly startAtMs: number; readonly endAtMs: number } | undefined;
  };
  /** Start of the schedule period the stored sequence numbers belong to (from the store). */
  readonly periodStartAtMs?: number;
  /**
   * Put LastMsgSeqNumProcessed (369, the last inbound MsgSeqNum accepted) on every
   * outbound message, FIX.4.2+ (QuickFIX/J: EnableLastMsgSeqNumProcessed). Default false.
   */
  readonly enableLastMsgSeqNumProcessed?: boolean;
  /**
   * Answer a garbled message (bad CheckSum or BodyLength) that still has a MsgSeqNum with a
   * session Reject instead of dropping it (QuickFIX/J: RejectGarbledMessage). Default false:
   * dropped, the specification's rule.
   */
  readonly rejectGarbledMessage?: boolean;
  /**
   * What to do when the counterparty expects a higher MsgSeqNum than we would send (our
   * outbound messages were lost in a failover): `hold` (default) or `continue`; see
   * `counterparty_ahead.ts`.
   */
  readonly onCounterpartyAhead?: CounterpartyAheadPolicy;
  /** Limits of logon/logout loop detection. */
  readonly logonLoop?: LogonLoopOptions;
  /** Sequence numbers to start from (from the store). Default 1 and 1. */
  readonly nextSenderSeqNum?: number;
  /** See {@linkcode SessionConfig.nextSenderSeqNum}. */
  readonly nextTargetSeqNum?: number;
}

/** Default for {@linkcode SessionConfig.sendingTimeToleranceS}. */
export const DEFAULT_SENDING_TIME_TOLERANCE_S = 120;
/** Default for {@linkcode SessionConfig.logonTimeoutS}. */
export const DEFAULT_LOGON_TIMEOUT_S = 10;
/** Default for {@linkcode SessionConfig.logoutTimeoutS}. */
export const DEFAULT_LOGOUT_TIMEOUT_S = 2;
/** Default for {@linkcode SessionConfig.maxResendRange}. */
export const DEFAULT_MAX_RESEND_RANGE = 100_000;
/** Default for {@linkcode SessionConfig.maxQueuedMessages}. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 10_000;
/** Default HeartBtInt an initiator proposes. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;

/** Thrown for a configuration the session cannot run with. */
export class SessionConfigError extends RangeError {
  /** The offending option. */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = "SessionConfigError";
    this.option = option;
  }
}

/**
 * Checks what a session cannot run with and returns the version's rank (44 for FIX.4.4).
 *
 * @throws {SessionConfigError} naming the option at fault
 */
export function checkSessionConfig(config: SessionConfig): number {
  const rank = VERSION_RANK[config.beginString];
  if (rank === undefined) {
    throw new SessionConfigError(
      "beginString",
      `Cannot create session: BeginString "${config.beginString}" is not supported`,
    );
  }
  if (config.senderCompId === "" || config.targetCompId === "") {
    throw new SessionConfigError("senderCompId", "Cannot create session: a CompID is empty");
  }
  if (!((config.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S) >= 0)) {
    throw new SessionConfigError("heartbeatIntervalS", "Cannot create session: HeartBtInt < 0");
  }
  if (rank === 50 && config.defaultApplVerId === undefined && config.role === "initiator") {
    throw new SessionConfigError(
      "defaultApplVerId",
      "Cannot create FIXT.1.1 initiator session: defaultApplVerId is missing",
    );
  }
  return rank;
}
