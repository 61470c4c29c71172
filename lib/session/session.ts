/**
 * The FIX session protocol as a pure state machine.
 *
 * A {@linkcode Session} is one FIX session (BeginString, SenderCompID,
 * TargetCompID). It outlives connections: sequence numbers stay with it. It
 * never touches the world: every method takes the time as `nowMs` and returns
 * the {@linkcode SessionAction}s the caller (the engine's runner) must carry
 * out, in order: persist-and-write outbound messages, journal accepted inbound
 * messages, deliver application messages, close the connection.
 *
 * The order of checks follows QuickFIX C++ (Session.cpp), the reference the
 * QuickFIX acceptance suite was written against: required header fields,
 * BeginString, dictionary validation, then per message type a `verify` step
 * (logon state, SendingTime accuracy, CompIDs, MsgSeqNum too high/too low,
 * PossDup rules), then the message's own handling.
 *
 * @module
 */

import { ApplVerId } from "../fix/tags.ts";
import { SESSION_REJECT_REASON_TEXT } from "../fix/dictionary/validate_message.ts";
import { type FieldValue, MessageEncoder } from "../fix/encoder.ts";
import { decodeMessage, type FixMessage } from "../fix/message.ts";
import { formatTimestamp, parseTimestamp, parseTimestampBytes } from "./_timestamp.ts";
import {
  type CounterpartyAheadPolicy,
  DEFAULT_COUNTERPARTY_AHEAD_POLICY,
  heldText,
  isTroubleLogout,
  LogonLoopDetector,
  type LogonLoopOptions,
  type LostOutboundRange,
  type LostOutboundSource,
  parseTooLowText,
} from "./counterparty_ahead.ts";
import {
  expectedInboundIdentity,
  identityHeader,
  type SessionIdParts,
  sessionKeyOf,
} from "./session_id.ts";

export { type SessionIdParts, sessionKeyOf } from "./session_id.ts";

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

const VERSION_RANK: Readonly<Record<string, number>> = {
  "FIX.4.0": 40,
  "FIX.4.1": 41,
  "FIX.4.2": 42,
  "FIX.4.3": 43,
  "FIX.4.4": 44,
  "FIXT.1.1": 50,
};

/** ApplVerID (1128/1137) codes by name. */
export const APPL_VER_IDS: Readonly<Record<string, string>> = ApplVerId;

/** Normalises an ApplVerID given as a name (`FIX.5.0SP2`) or a code (`9`) to its code. */
export function applVerIdCode(value: string): string {
  return APPL_VER_IDS[value] ?? value;
}

/** SessionRejectReason (373) texts, as QuickFIX writes them. */
export const SESSION_REJECT_TEXTS: Readonly<Record<number, string>> = SESSION_REJECT_REASON_TEXT;

/** BusinessRejectReason (380) texts. */
export const BUSINESS_REJECT_TEXTS: Readonly<Record<number, string>> = {
  0: "Other",
  1: "Unknown ID",
  2: "Unknown Security",
  3: "Unsupported Message Type",
  4: "Application not available",
  5: "Conditionally Required Field Missing",
  6: "Not authorized",
  7: "DeliverTo firm not available at this time",
};

const ADMIN_TYPES = new Set(["0", "1", "2", "3", "4", "5", "A"]);

/** Whether a MsgType is a session-level (admin) message. */
export function isAdminMsgType(msgType: string): boolean {
  return ADMIN_TYPES.has(msgType);
}

/** Standard header tags other than 8, 9, 35, 34, 49, 52, 56 (written right after the header). */
export const HEADER_TAGS: ReadonlySet<number> = new Set([
  43,
  50,
  57,
  90,
  91,
  97,
  115,
  116,
  122,
  128,
  129,
  142,
  143,
  144,
  145,
  212,
  213,
  347,
  369,
  370,
  627,
  628,
  629,
  630,
  1128,
  1129,
  1156,
]);

const SESSION_TAGS = new Set([8, 9, 10, 34, 35, 49, 52, 56]);

/** Where {@linkcode Session.send} puts a caller's field: the body, the header, or nowhere. */
const ROUTE_BODY = 0;
const ROUTE_HEADER = 1;
/** Tags the session writes itself (and PossDupFlag/OrigSendingTime, which only resends set). */
const ROUTE_SKIP = 2;

/**
 * The route of every tag up to the largest header tag, by index: one typed-array
 * read per field instead of two set look-ups. Other tags (larger, or not
 * integers) read undefined: the body.
 */
const TAG_ROUTES: Uint8Array = (() => {
  let max = 0;
  for (const t of [...HEADER_TAGS, ...SESSION_TAGS]) max = Math.max(max, t);
  const routes = new Uint8Array(max + 1);
  for (const t of HEADER_TAGS) routes[t] = ROUTE_HEADER;
  for (const t of [...SESSION_TAGS, 43, 122]) routes[t] = ROUTE_SKIP;
  return routes;
})();

/** The route of `tag`; typed-array reads would also accept numeric strings, hence the check. */
function routeOf(tag: number): number {
  return typeof tag === "number" ? TAG_ROUTES[tag] ?? ROUTE_BODY : ROUTE_BODY;
}

const NO_FIELDS: readonly Field[] = [];

/** The validation context of messages without an application version (one object for all). */
const NO_APPL_VER_ID: { readonly applVerId: string | undefined } = Object.freeze({
  applVerId: undefined,
});

/** A `[tag, value]` pair. */
export type Field = readonly [number, FieldValue];

interface ResendRange {
  begin: number;
  end: number;
  chunkEnd: number | undefined;
}

/** 10000-01-01T00:00:00Z: below it {@linkcode MessageEncoder.utcTimestamp} formats times itself. */
const MAX_FAST_TIMESTAMP_MS = 253402300800000;

/**
 * One FIX session's protocol state machine. Pure: no I/O, no clock.
 *
 * ```ts
 * import { Session } from "./session.ts";
 * const s = new Session({ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW", role: "acceptor" });
 * const actions = s.connect(Date.now()); // then s.receive(logon, now), s.tick(now) …
 * ```
 */
export class Session {
  /** `BeginString:Sender->Target`. */
  readonly key: string;
  readonly #c: SessionConfig;
  readonly #rank: number;
  readonly #isFixt: boolean;
  readonly #precision: 0 | 3 | 6 | 9;
  readonly #encoder: MessageEncoder;
  #state: SessionStateName = "disconnected";
  #transitions: StateTransition[] = [];
  #nextSender: number;
  #nextTarget: number;
  #heartbeatIntervalS: number;
  #lastSentAtMs = 0;
  #lastReceivedAtMs = 0;
  #testRequestsSent = 0;
  #logonDeadlineAtMs: number | undefined;
  #logoutDeadlineAtMs: number | undefined;
  #receivedLogon = false;
  #sentLogon = false;
  #sentLogout = false;
  #receivedReset = false;
  #sentReset = false;
  #queue = new Map<number, FixMessage>();
  #resendRange: ResendRange | undefined;
  #senderApplVerId: string | undefined;
  #targetApplVerId: string | undefined;
  #now = 0;
  #out: SessionAction[] = [];
  #periodStartAtMs: number | undefined;
  #periodEndAtMs: number | undefined;
  #held: LostOutboundRange | undefined;
  #lostOutbound: LostOutboundRange | undefined;
  readonly #loops: LogonLoopDetector;
  /** Sub/location IDs written in every header, their tags, and what received messages carry. */
  readonly #idHeader: readonly Field[];
  readonly #idTags: ReadonlySet<number>;
  readonly #idExpected: readonly (readonly [number, string])[];
  /** LastMsgSeqNumProcessed (369) goes on every outbound message (config and version, once). */
  readonly #put369: boolean;

  constructor(config: SessionConfig) {
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
    this.#c = config;
    this.#rank = rank;
    this.#isFixt = rank === 50;
    this.#precision = config.timestampPrecision ?? (rank <= 41 ? 0 : 3);
    this.#encoder = new MessageEncoder(config.beginString);
    this.#periodStartAtMs = config.periodStartAtMs;
    this.#nextSender = config.nextSenderSeqNum ?? 1;
    this.#nextTarget = config.nextTargetSeqNum ?? 1;
    this.#loops = new LogonLoopDetector(config.logonLoop);
    this.#heartbeatIntervalS = config.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S;
    if (!(this.#heartbeatIntervalS >= 0)) {
      throw new SessionConfigError("heartbeatIntervalS", "Cannot create session: HeartBtInt < 0");
    }
    if (this.#isFixt) {
      if (config.defaultApplVerId === undefined && config.role === "initiator") {
        throw new SessionConfigError(
          "defaultApplVerId",
          "Cannot create FIXT.1.1 initiator session: defaultApplVerId is missing",
        );
      }
      this.#senderApplVerId = config.defaultApplVerId === undefined
        ? undefined
        : applVerIdCode(config.defaultApplVerId);
    }
    this.key = sessionKeyOf(config.beginString, config.senderCompId, config.targetCompId, config);
    this.#idHeader = identityHeader(config);
    this.#idTags = new Set(this.#idHeader.map(([tag]) => tag));
    this.#idExpected = expectedInboundIdentity(config);
    this.#put369 = (config.enableLastMsgSeqNumProcessed ?? false) && rank >= 42;
  }

  /** The configuration. */
  get config(): SessionConfig {
    return this.#c;
  }
  /** Current state. */
  get state(): SessionStateName {
    return this.#state;
  }
  /** Whether Logons were exchanged and the session is up. */
  get isLoggedOn(): boolean {
    return this.#receivedLogon && this.#sentLogon;
  }
  /** Next MsgSeqNum we send. */
  get nextSenderSeqNum(): number {
    return this.#nextSender;
  }
  /** Next MsgSeqNum we expect. */
  get nextTargetSeqNum(): number {
    return this.#nextTarget;
  }
  /** HeartBtInt in force. */
  get heartbeatIntervalS(): number {
    return this.#heartbeatIntervalS;
  }
  /** Start of the schedule period the sequence numbers belong to (persist it with them). */
  get periodStartAtMs(): number | undefined {
    return this.#periodStartAtMs;
  }
  /** The last state transitions (at most 64), oldest first. */
  get transitions(): readonly StateTransition[] {
    return this.#transitions;
  }
  /** Number of out-of-order messages held. */
  get queuedMessages(): number {
    return this.#queue.size;
  }
  /** ApplVerID code the counterparty declared (FIXT) or implied by the BeginString. */
  get targetApplVerId(): string | undefined {
    return this.#targetApplVerId;
  }
  /** The lost outbound range the session is held for (policy `hold`), until an operator acts. */
  get heldFor(): LostOutboundRange | undefined {
    return this.#held;
  }
  /** The last lost outbound range found since the sequence numbers last started at 1. */
  get lostOutbound(): LostOutboundRange | undefined {
    return this.#lostOutbound;
  }
  /** Logon/logout loops detected (each reported once). */
  get logonLoops(): number {
    return this.#loops.loops;
  }
  /** ApplVerID code we send (FIXT). */
  get senderApplVerId(): string | undefined {
    return this.#senderApplVerId;
  }

  /** The earliest time {@linkcode Session.tick} has something to do, or undefined. */
  get nextDeadlineAtMs(): number | undefined {
    let d = Infinity;
    if (this.#logonDeadlineAtMs !== undefined) d = Math.min(d, this.#logonDeadlineAtMs);
    if (this.#logoutDeadlineAtMs !== undefined) d = Math.min(d, this.#logoutDeadlineAtMs);
    if (this.#periodEndAtMs !== undefined && !this.#isDown()) d = Math.min(d, this.#periodEndAtMs);
    if (this.#receivedLogon && this.#heartbeatIntervalS > 0) {
      const hbMs = this.#heartbeatIntervalS * 1000;
      const mult = this.#c.testRequestDelayMultiplier ?? 1.2;
      if (this.#testRequestsSent === 0) d = Math.min(d, this.#lastSentAtMs + hbMs);
      d = Math.min(d, this.#lastReceivedAtMs + mult * hbMs * (this.#testRequestsSent + 1));
      d = Math.min(d, this.#lastReceivedAtMs + 2 * mult * hbMs);
    }
    return d === Infinity ? undefined : Math.ceil(d);
  }

  // ---------------------------------------------------------------- events

  /** The transport is up. An initiator sends its Logon; an acceptor starts the logon timer. */
  connect(nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (!this.#isDown()) {
      throw new SessionStateError(
        this.#state,
        `Cannot connect session ${this.key}: it is ${this.#state}`,
      );
    }
    if (!this.#inSchedule()) {
      this.#log("warn", "Connection outside session time");
      this.#out.push({ type: "disconnect", reason: "Outside session time" });
      return this.#flush();
    }
    if (this.#held !== undefined && this.#c.role === "initiator") {
      this.#log("warn", heldText(this.#held));
      this.#out.push({ type: "disconnect", reason: "Session held for the operator" });
      return this.#flush();
    }
    this.#loops.started(nowMs);
    this.#lastReceivedAtMs = nowMs;
    this.#lastSentAtMs = nowMs;
    this.#testRequestsSent = 0;
    this.#logonDeadlineAtMs = nowMs + (this.#c.logonTimeoutS ?? DEFAULT_LOGON_TIMEOUT_S) * 1000;
    if (this.#c.role === "initiator") {
      this.#sendLogonRequest();
      this.#setState("logon-sent", "connected; Logon sent");
    } else {
      this.#setState("awaiting-logon", "connection accepted");
    }
    return this.#flush();
  }

  /** A framed, decoded message arrived. */
  receive(message: FixMessage, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (this.#isDown()) {
      this.#log("warn", `Ignored message received while disconnected: ${message.msgType}`);
      return this.#flush();
    }
    if (!this.#inSchedule() && message.msgType !== "5") {
      this.#log("warn", `Message ${message.msgType} received outside session time ignored`);
      if (!this.#receivedLogon) this.#disconnect("Logon outside session time");
      return this.#flush();
    }
    this.#process(message);
    if (!this.#isDown()) this.#processQueued();
    if (!this.#isDown()) this.#advanceResendChunk();
    if (!this.#isDown() && this.#receivedLogon) this.#timers();
    return this.#flush();
  }

  /**
   * Bytes that could not be framed were discarded (the sequence number is not consumed).
   * With `rejectGarbledMessage`, a garbled `message` (decoded despite a bad CheckSum or
   * BodyLength) that has a MsgSeqNum is answered with a session Reject instead.
   */
  garbled(detail: string, nowMs: number, message?: FixMessage): SessionAction[] {
    this.#now = nowMs;
    if (
      this.#c.rejectGarbledMessage && message !== undefined && this.#receivedLogon &&
      !this.#isDown() && message.msgType !== "" && message.has(34)
    ) {
      this.#reject(message, 99, undefined, `Garbled message: ${detail}`);
      return this.#flush();
    }
    this.#log("warn", `Garbled message ignored: ${detail}`);
    return this.#flush();
  }

  /** Timer: heartbeats, TestRequests, logon/logout timeouts. */
  tick(nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (!this.#isDown() && this.#inSchedule()) this.#timers();
    return this.#flush();
  }

  /** The transport is gone (closed by either side). */
  disconnected(reason: string, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (!this.#isDown()) this.#disconnect(reason, false);
    return this.#flush();
  }

  /**
   * Sends an application (or admin) message. `fields` follow MsgType; header tags
   * among them are written in the header. When not logged on the message is stored
   * (to be resent on request) but not transmitted.
   */
  send(msgType: string, fields: Iterable<Field>, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (Array.isArray(fields)) {
      // The usual case, an array of body fields only: encoded as given, no copies.
      const list = fields as readonly Field[];
      let plain = true;
      for (let i = 0; i < list.length; i++) {
        if (routeOf(list[i]![0]) !== ROUTE_BODY) {
          plain = false;
          break;
        }
      }
      if (plain) {
        this.#sendNew(msgType, NO_FIELDS, list, this.isLoggedOn);
        return this.#flush();
      }
    }
    const header: Field[] = [];
    const body: Field[] = [];
    for (const f of fields) {
      const route = routeOf(f[0]);
      if (route === ROUTE_SKIP) continue;
      (route === ROUTE_HEADER ? header : body).push(f);
    }
    this.#sendNew(msgType, header, body, this.isLoggedOn);
    return this.#flush();
  }

  /** Starts a Logout (e.g. end of day); the connection closes on the answer or timeout. */
  logout(text: string, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    const state = this.#state;
    switch (state) {
      case "active":
      case "logon-sent":
      case "awaiting-logon":
        this.#sendLogout(text);
        break;
      case "logout-sent":
      case "disconnected":
        break;
      default: {
        const never: never = state;
        throw new SessionStateError(never, `Cannot log out: unknown state ${never}`);
      }
    }
    return this.#flush();
  }

  /** The same as the individual methods, as one entry point taking an event value. */
  handle(event: SessionEvent, nowMs: number): SessionAction[] {
    switch (event.type) {
      case "connected":
        return this.connect(nowMs);
      case "received":
        return this.receive(event.message, nowMs);
      case "garbled":
        return this.garbled(event.detail, nowMs);
      case "timer":
        return this.tick(nowMs);
      case "disconnected":
        return this.disconnected(event.reason, nowMs);
      case "send":
        return this.send(event.msgType, event.fields, nowMs);
      case "logout":
        return this.logout(event.text, nowMs);
      default: {
        const never: never = event;
        throw new TypeError(`Cannot handle event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Refuses an application message as unsupported: Business Message Reject (35=j,
   * 380=3) on FIX.4.2+, session Reject (35=3) on FIX.4.0/4.1.
   */
  rejectUnsupported(message: FixMessage, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (this.#rank >= 42) this.#businessReject(message, 3, undefined);
    else this.#rejectText(message, "Unsupported message type");
    return this.#flush();
  }

  /** Sends a Business Message Reject (35=j) for `message` (FIX.4.2+). */
  businessReject(
    message: FixMessage,
    reason: number,
    nowMs: number,
    refTagId?: number,
  ): SessionAction[] {
    this.#now = nowMs;
    this.#businessReject(message, reason, refTagId);
    return this.#flush();
  }

  /**
   * Encodes a Logout refusing a connection that this node must not serve (e.g. a
   * standby). Nothing is stored and no state changes: the caller writes the bytes
   * and closes the connection.
   */
  encodeRefusal(text: string, nowMs: number): Uint8Array {
    this.#now = nowMs;
    const e = this.#writeHeader("5", this.#nextSender, []);
    e.field(58, text);
    return e.finish();
  }

  /** Resets both sequence numbers to 1 (schedule boundary, operator command). */
  resetSequenceNumbers(why: string, nowMs: number): SessionAction[] {
    this.#now = nowMs;
    if (this.isLoggedOn) this.#sendLogout(`Session reset: ${why}`);
    this.#reset(why);
    return this.#flush();
  }

  /** Sets the sequence numbers explicitly (operator command while disconnected). */
  setSequenceNumbers(nextSenderSeqNum: number, nextTargetSeqNum: number, nowMs: number) {
    this.#now = nowMs;
    if (!(nextSenderSeqNum >= 1 && nextTargetSeqNum >= 1)) {
      throw new RangeError(
        `Cannot set sequence numbers ${nextSenderSeqNum}/${nextTargetSeqNum}: they must be >= 1`,
      );
    }
    this.#nextSender = nextSenderSeqNum;
    this.#nextTarget = nextTargetSeqNum;
    if (this.#held !== undefined) this.#log("warn", "Hold released: sequence numbers set");
    this.#held = undefined;
    this.#sequence(false, "set by operator");
    return this.#flush();
  }

  // ---------------------------------------------------------------- internals

  /**
   * Applies the schedule at the current time: false when outside session time
   * (a logged-on session logs out; one not logged on is disconnected). A new
   * period resets the sequence numbers.
   */
  #inSchedule(): boolean {
    const schedule = this.#c.schedule;
    if (schedule === undefined) return true;
    const p = schedule.periodAt(this.#now);
    if (p === undefined) {
      this.#periodEndAtMs = undefined;
      if (this.isLoggedOn && !this.#sentLogout) {
        this.#sendLogout("Session end");
      } else if (!this.#receivedLogon && !this.#isDown()) {
        this.#disconnect("Outside session time");
      }
      return false;
    }
    if (this.#periodStartAtMs !== undefined && p.startAtMs !== this.#periodStartAtMs) {
      if (!this.#isDown()) {
        if (this.isLoggedOn) this.#sendLogout("New session period");
        this.#disconnect("New session period");
      }
      this.#reset("New session period");
    }
    this.#periodStartAtMs = p.startAtMs;
    this.#periodEndAtMs = p.endAtMs;
    return true;
  }

  #isDown(): boolean {
    return this.#state === "disconnected";
  }

  #flush(): SessionAction[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }

  #log(level: "info" | "warn", text: string): void {
    this.#out.push({ type: "log", level, text: `${this.key}: ${text}` });
  }

  /** The one door for state changes. */
  #setState(to: SessionStateName, why: string): void {
    const from = this.#state;
    if (from === to) return;
    const transition: StateTransition = { from, to, why, atMs: this.#now };
    this.#state = to;
    this.#transitions.push(transition);
    if (this.#transitions.length > 64) this.#transitions.shift();
    this.#out.push({ type: "state", transition });
  }

  #sequence(reset: boolean, why: string): void {
    this.#out.push({
      type: "sequence",
      nextSenderSeqNum: this.#nextSender,
      nextTargetSeqNum: this.#nextTarget,
      reset,
      why,
    });
  }

  #reset(why: string): void {
    this.#nextSender = 1;
    this.#nextTarget = 1;
    this.#held = undefined;
    this.#lostOutbound = undefined;
    this.#queue.clear();
    this.#resendRange = undefined;
    this.#sequence(true, why);
  }

  #disconnect(reason: string, requested = true): void {
    if (requested) this.#out.push({ type: "disconnect", reason });
    const wasLoggedOn = this.#receivedLogon || this.#sentLogon;
    this.#receivedLogon = false;
    this.#sentLogon = false;
    this.#sentLogout = false;
    this.#receivedReset = false;
    this.#sentReset = false;
    this.#queue.clear();
    this.#resendRange = undefined;
    this.#logonDeadlineAtMs = undefined;
    this.#logoutDeadlineAtMs = undefined;
    this.#testRequestsSent = 0;
    this.#setState("disconnected", reason);
    const loop = this.#loops.ended(this.#now, reason);
    if (loop !== undefined) this.#log("warn", loop);
    if (wasLoggedOn) this.#out.push({ type: "logout", reason });
    if (this.#c.resetOnDisconnect) this.#reset("ResetOnDisconnect");
  }

  #accept(message: FixMessage): void {
    this.#nextTarget++;
    this.#out.push({ type: "accepted", message });
  }

  #timers(): void {
    const now = this.#now;
    if (!this.#receivedLogon) {
      if (this.#logonDeadlineAtMs !== undefined && now >= this.#logonDeadlineAtMs) {
        this.#log("warn", "Timed out waiting for Logon");
        this.#disconnect("Logon timeout");
      }
      if (this.#isDown()) return;
      if (this.#logoutDeadlineAtMs !== undefined && now >= this.#logoutDeadlineAtMs) {
        this.#disconnect("Timed out waiting for Logout response");
      }
      return;
    }
    if (this.#logoutDeadlineAtMs !== undefined && now >= this.#logoutDeadlineAtMs) {
      this.#log("warn", "Timed out waiting for Logout response");
      this.#disconnect("Logout timeout");
      return;
    }
    const hbMs = this.#heartbeatIntervalS * 1000;
    if (hbMs <= 0) return;
    const mult = this.#c.testRequestDelayMultiplier ?? 1.2;
    const silentMs = now - this.#lastReceivedAtMs;
    if (silentMs >= 2 * mult * hbMs) {
      this.#log("warn", "Timed out waiting for heartbeat");
      this.#disconnect("Heartbeat timeout: TestRequest unanswered");
      return;
    }
    if (silentMs >= mult * hbMs * (this.#testRequestsSent + 1)) {
      this.#sendNew("1", [], [[112, "TEST"]], true);
      this.#testRequestsSent++;
      this.#log("info", "Sent TestRequest TEST");
    } else if (this.#testRequestsSent === 0 && now - this.#lastSentAtMs >= hbMs) {
      this.#sendNew("0", [], [], true);
    }
  }

  // ---------------------------------------------------------------- sending

  /** Writes the current time as a UTCTimestamp field at the session's precision. */
  #timestamp(e: MessageEncoder, tag: number): void {
    const now = this.#now;
    // The encoder's cached formatter covers every whole ms of years 1970–9999.
    if (Number.isSafeInteger(now) && now >= 0 && now < MAX_FAST_TIMESTAMP_MS) {
      e.utcTimestamp(tag, now, this.#precision);
    } else {
      e.field(tag, formatTimestamp(now, this.#precision));
    }
  }

  #writeHeader(msgType: string, seqNum: number, header: readonly Field[]): MessageEncoder {
    const e = this.#encoder;
    e.begin(msgType);
    e.field(34, seqNum);
    e.field(49, this.#c.senderCompId);
    this.#timestamp(e, 52);
    e.field(56, this.#c.targetCompId);
    const ids = this.#idHeader;
    for (let i = 0; i < ids.length; i++) e.field(ids[i]![0], ids[i]![1]);
    if (this.#put369) {
      let own = false;
      for (let i = 0; i < header.length; i++) if (header[i]![0] === 369) own = true;
      if (!own) e.field(369, this.#nextTarget - 1);
    }
    // a caller's own sub/location IDs are dropped for ours; no set lookups when none are set
    const skip = ids.length === 0 ? undefined : this.#idTags;
    for (const [tag, value] of header) {
      if (skip === undefined || !skip.has(tag)) e.field(tag, value);
    }
    return e;
  }

  /** Sends a message with a fresh sequence number (persisted). */
  #sendNew(msgType: string, header: readonly Field[], body: readonly Field[], transmit: boolean) {
    const seqNum = this.#nextSender;
    const e = this.#writeHeader(msgType, seqNum, header);
    for (const [tag, value] of body) e.field(tag, value);
    const bytes = e.finish();
    this.#nextSender++;
    if (transmit) this.#lastSentAtMs = this.#now;
    this.#out.push({ type: "send", msgType, seqNum, bytes, persist: true, transmit });
  }

  #sendLogonRequest(): void {
    if (this.#c.resetOnLogon) this.#reset("ResetOnLogon");
    const body: Field[] = [[98, 0], [108, this.#heartbeatIntervalS]];
    const shouldSendReset = this.#rank >= 41 &&
      (this.#c.resetOnLogon || this.#c.resetOnLogout || this.#c.resetOnDisconnect) &&
      this.#nextSender === 1 && this.#nextTarget === 1;
    if (shouldSendReset) {
      body.push([141, "Y"]);
      this.#sentReset = true;
    }
    if (this.#isFixt && this.#senderApplVerId !== undefined) {
      body.push([1137, this.#senderApplVerId]);
    }
    if (this.#c.enableNextExpectedMsgSeqNum && this.#rank >= 44) {
      body.push([789, this.#nextTarget]);
    }
    if (this.#c.logonFields) body.push(...this.#c.logonFields);
    this.#lastReceivedAtMs = this.#now;
    this.#testRequestsSent = 0;
    this.#sentLogon = true;
    this.#sendNew("A", [], body, true);
  }

  #sendLogout(text: string): void {
    const body: Field[] = text === "" ? [] : [[58, text]];
    this.#sendNew("5", [], body, true);
    this.#sentLogout = true;
    this.#logoutDeadlineAtMs = this.#now +
      (this.#c.logoutTimeoutS ?? DEFAULT_LOGOUT_TIMEOUT_S) * 1000;
    this.#setState("logout-sent", text === "" ? "Logout sent" : `Logout sent: ${text}`);
  }

  /** Routing fields of `message` reversed, for a reply (non-empty values only). */
  #reverseRoute(message: FixMessage): Field[] {
    const out: Field[] = [];
    const pairs: [number, number][] = [[115, 128], [128, 115], [116, 129], [129, 116]];
    if (this.#rank >= 41) pairs.push([144, 145], [145, 144]);
    for (const [from, to] of pairs) {
      const v = message.get(from);
      if (v !== undefined && v !== "") out.push([to, v]);
    }
    return out;
  }

  /** Session Reject (35=3) with only the tags the version defines. */
  #reject(message: FixMessage, reason: number, refTagId: number | undefined, text?: string) {
    const msgType = message.msgType;
    const seqIdx = message.indexOf(34);
    const seqText = seqIdx < 0 ? "" : message.stringAt(seqIdx);
    const seqNum = seqIdx < 0 ? NaN : message.intAt(seqIdx);
    if (msgType !== "A" && msgType !== "4" && seqNum === this.#nextTarget) {
      this.#accept(message);
    }
    const reasonText = text ?? SESSION_REJECT_TEXTS[reason] ?? "Rejected";
    this.#log(
      "warn",
      `Message ${seqText} rejected: ${reasonText}${refTagId ? ` (${refTagId})` : ""}`,
    );
    if (!this.#receivedLogon) {
      this.#log("warn", "Cannot send Reject while not logged on");
      return;
    }
    const body: Field[] = [];
    if (seqText !== "") body.push([45, seqText]);
    if (this.#rank >= 42) {
      if (msgType !== "") body.push([372, msgType]);
      // only the codes the version defines: 0–11 in FIX.4.2, 0–17 in FIX.4.3, 99 from FIX.4.4
      if (reason <= (this.#rank === 42 ? 11 : this.#rank === 43 ? 17 : 99)) {
        body.push([373, reason]);
      }
      if (refTagId !== undefined && (refTagId !== 0 || reason === 0)) body.push([371, refTagId]);
      body.push([58, reasonText]);
    } else {
      body.push([58, refTagId ? `${reasonText} (${refTagId})` : reasonText]);
    }
    this.#sendNew("3", this.#reverseRoute(message), body, true);
  }

  #rejectText(message: FixMessage, text: string): void {
    const msgType = message.msgType;
    const seqText = message.get(34) ?? "";
    const body: Field[] = [];
    if (this.#rank >= 42) body.push([372, msgType]);
    body.push([45, seqText], [58, text]);
    this.#log("warn", `Message ${seqText} rejected: ${text}`);
    this.#sendNew("3", this.#reverseRoute(message), body, this.isLoggedOn);
  }

  #businessReject(message: FixMessage, reason: number, refTagId: number | undefined): void {
    const text = BUSINESS_REJECT_TEXTS[reason] ?? "Rejected";
    const body: Field[] = [
      [45, message.get(34) ?? ""],
      [372, message.msgType],
      [380, reason],
      [58, refTagId ? `${text} (${refTagId})` : text],
    ];
    // DefaultApplVerID (1137) belongs to the FIXT Logon only; 35=j needs no version field
    this.#log("warn", `Message ${message.get(34)} business-rejected: ${text}`);
    this.#sendNew("j", [], body, this.isLoggedOn);
  }

  #sendGapFill(beginSeqNo: number, newSeqNo: number): void {
    const e = this.#writeHeader("4", beginSeqNo, [[43, "Y"]]);
    this.#timestamp(e, 122);
    e.field(123, "Y");
    e.field(36, newSeqNo);
    const bytes = e.finish();
    this.#lastSentAtMs = this.#now;
    this.#out.push({
      type: "send",
      msgType: "4",
      seqNum: beginSeqNo,
      bytes,
      persist: false,
      transmit: true,
    });
  }

  /** Rebuilds a stored message for resending: PossDupFlag=Y, OrigSendingTime, new SendingTime. */
  #resendBytes(stored: FixMessage): Uint8Array {
    const e = this.#encoder;
    e.begin(stored.msgType);
    let wroteTime = false;
    for (let i = 0; i < stored.size; i++) {
      const tag = stored.tagAt(i);
      if (tag === 8 || tag === 9 || tag === 10 || tag === 35 || tag === 43 || tag === 122) continue;
      if (tag === 52) {
        e.field(43, "Y");
        this.#timestamp(e, 52);
        e.field(122, stored.bytesAt(i));
        wroteTime = true;
        continue;
      }
      e.field(tag, stored.bytesAt(i));
    }
    if (!wroteTime) e.field(43, "Y");
    return e.finish();
  }

  /**
   * Serves a resend of [begin, end]: application messages again, the rest gap-filled. With
   * `fillTo`, the last gap fill reaches it (one more gap fill when `end` was resent).
   */
  #resend(begin: number, end: number, fillTo = end + 1): void {
    let gapStart = 0;
    for (let seq = begin; seq <= end; seq++) {
      const bytes = this.#c.outbound?.(seq);
      let resent = false;
      if (bytes !== undefined) {
        let stored: FixMessage | undefined;
        try {
          stored = decodeMessage(bytes);
        } catch {
          this.#log("warn", `Stored message ${seq} cannot be decoded; gap-filling it`);
        }
        if (
          stored !== undefined && !isAdminMsgType(stored.msgType) &&
          (this.#c.shouldResend?.(stored) ?? true)
        ) {
          if (gapStart !== 0) this.#sendGapFill(gapStart, seq);
          gapStart = 0;
          const out = this.#resendBytes(stored);
          this.#lastSentAtMs = this.#now;
          this.#out.push({
            type: "send",
            msgType: stored.msgType,
            seqNum: seq,
            bytes: out,
            persist: false,
            transmit: true,
          });
          resent = true;
        }
      }
      if (!resent && gapStart === 0) gapStart = seq;
    }
    if (gapStart !== 0) this.#sendGapFill(gapStart, fillTo);
    else if (fillTo > end + 1) this.#sendGapFill(end + 1, fillTo);
  }

  /** With chunked ResendRequests: asks for the next chunk once the current one is filled. */
  #advanceResendChunk(): void {
    const range = this.#resendRange;
    if (range === undefined || range.chunkEnd === undefined) return;
    if (this.#nextTarget > range.end) {
      this.#resendRange = undefined;
      return;
    }
    if (this.#nextTarget <= range.chunkEnd) return;
    const chunk = this.#c.resendRequestChunkSize ?? 0;
    const begin = this.#nextTarget;
    const chunkEnd = Math.min(begin + chunk - 1, range.end);
    const last = chunkEnd === range.end;
    const wireEnd = last ? (this.#rank >= 42 ? 0 : 999999) : chunkEnd;
    this.#sendNew("2", [], [[7, begin], [16, wireEnd]], true);
    this.#resendRange = { begin, end: range.end, chunkEnd: last ? undefined : chunkEnd };
    this.#log("info", `Sent ResendRequest FROM: ${begin} TO: ${wireEnd}`);
  }

  #sendResendRequest(beginSeqNo: number, endSeqNo: number): void {
    const chunk = this.#c.resendRequestChunkSize ?? 0;
    let wireEnd: number;
    let chunkEnd: number | undefined;
    if (chunk > 0 && endSeqNo - beginSeqNo + 1 > chunk) {
      chunkEnd = beginSeqNo + chunk - 1;
      wireEnd = chunkEnd;
    } else {
      wireEnd = this.#rank >= 42 ? 0 : 999999;
    }
    this.#sendNew("2", [], [[7, beginSeqNo], [16, wireEnd]], true);
    this.#resendRange = { begin: beginSeqNo, end: endSeqNo, chunkEnd };
    this.#log("info", `Sent ResendRequest FROM: ${beginSeqNo} TO: ${wireEnd}`);
  }

  // ---------------------------------------------------------------- receiving

  #process(message: FixMessage): void {
    const msgType = message.msgType;
    if (msgType === "") {
      this.#log("warn", "Message without MsgType ignored");
      return;
    }
    if (!message.has(49)) return this.#fieldNotFound(message, 49);
    if (!message.has(56)) return this.#fieldNotFound(message, 56);
    if (!message.has(34)) {
      // unprocessable: no sequence number to consume, reject or resend (FIX: Logout, disconnect)
      const text = "MsgSeqNum (34) missing";
      this.#log("warn", `${msgType} without MsgSeqNum; logging out`);
      if (this.#receivedLogon && !this.#sentLogout) this.#sendLogout(text);
      this.#disconnect(text);
      return;
    }
    if (message.beginString !== this.#c.beginString) {
      if (msgType === "5") return this.#nextLogout(message);
      this.#sendLogout("Incorrect BeginString");
      if (message.msgSeqNum === this.#nextTarget) this.#accept(message);
      return;
    }
    if (msgType === "A") {
      if (this.#isFixt) {
        const v = message.get(1137);
        if (v === undefined) return this.#fieldNotFound(message, 1137);
        this.#targetApplVerId = v;
        if (this.#c.role === "acceptor") this.#senderApplVerId = v;
      } else {
        this.#targetApplVerId = APPL_VER_IDS[this.#c.beginString];
      }
    }
    for (let i = 0; i < message.size; i++) {
      const tag = message.tagAt(i);
      if (tag <= 0) {
        if (!this.#receivedLogon) {
          this.#disconnect(`Invalid tag number ${tag} before Logon`);
          return;
        }
        this.#reject(message, 0, tag);
        return;
      }
    }
    if (this.#c.validate !== undefined) {
      const applVerId = this.#isFixt && !isAdminMsgType(msgType)
        ? message.get(1128) ?? this.#targetApplVerId
        : undefined;
      const issue = this.#c.validate(
        message,
        applVerId === undefined ? NO_APPL_VER_ID : { applVerId },
      );
      if (issue !== undefined) {
        if (!this.#receivedLogon) {
          this.#log("warn", `${msgType} before Logon failed validation: ${issue.text}`);
          this.#disconnect(`Invalid message before Logon: ${issue.text}`);
          return;
        }
        this.#reject(message, issue.reason, issue.tag);
        return;
      }
    }
    switch (msgType) {
      case "A":
        return this.#nextLogon(message);
      case "0":
        return this.#nextHeartbeat(message);
      case "1":
        return this.#nextTestRequest(message);
      case "2":
        return this.#nextResendRequest(message);
      case "3":
        return this.#nextReject(message);
      case "4":
        return this.#nextSequenceReset(message);
      case "5":
        return this.#nextLogout(message);
      default:
        return this.#nextApplication(message);
    }
  }

  #processQueued(): void {
    while (!this.#isDown()) {
      const seq = this.#nextTarget;
      const message = this.#queue.get(seq);
      if (message === undefined) return;
      this.#queue.delete(seq);
      this.#log("info", `Processing queued message ${seq}`);
      const msgType = message.msgType;
      if (msgType === "A" || msgType === "2") this.#accept(message);
      else this.#process(message);
    }
  }

  #fieldNotFound(message: FixMessage, tag: number): void {
    if (message.msgType === "A" || !this.#receivedLogon) {
      this.#log("warn", `Required field ${tag} missing from ${message.msgType}; disconnecting`);
      this.#disconnect(`Required field ${tag} missing from Logon`);
      return;
    }
    this.#reject(message, 1, tag);
  }

  #validLogonState(msgType: string): boolean {
    if ((msgType === "A" && this.#sentReset) || this.#receivedReset) return true;
    if ((msgType === "A" && !this.#receivedLogon) || (msgType !== "A" && this.#receivedLogon)) {
      return true;
    }
    if (msgType === "5" && this.#sentLogon) return true;
    if (msgType !== "5" && this.#sentLogout) return true;
    return msgType === "4" || msgType === "3";
  }

  /** QuickFIX's verify(): logon state, SendingTime, CompIDs, sequence, PossDup. */
  #verify(message: FixMessage, checkTooHigh: boolean, checkTooLow: boolean): boolean {
    const msgType = message.msgType;
    if (!this.#validLogonState(msgType)) {
      this.#log("warn", `Logon state is not valid for message ${msgType}`);
      this.#disconnect(`Logon state is not valid for message ${msgType}`);
      return false;
    }
    const sendingTimeAt = message.indexOf(52);
    if (sendingTimeAt < 0) {
      this.#disconnect("SendingTime (52) missing");
      return false;
    }
    // read from the bytes: no string per message
    const sendingTimeMs = parseTimestampBytes(
      message.bytes,
      message.valueStartAt(sendingTimeAt),
      message.valueEndAt(sendingTimeAt),
    );
    if (Number.isNaN(sendingTimeMs)) {
      if (!this.#receivedLogon) {
        this.#disconnect("SendingTime (52) is not a UTCTimestamp");
      } else {
        this.#reject(message, 6, 52);
      }
      return false;
    }
    if (this.#c.checkLatency ?? true) {
      const tolMs = (this.#c.sendingTimeToleranceS ?? DEFAULT_SENDING_TIME_TOLERANCE_S) * 1000;
      if (Math.abs(this.#now - sendingTimeMs) > tolMs) {
        if (!this.#receivedLogon) {
          this.#log("warn", `SendingTime accuracy problem on ${msgType}; disconnecting`);
          this.#disconnect("SendingTime accuracy problem");
        } else {
          this.#reject(message, 10, undefined);
          this.#sendLogout("");
        }
        return false;
      }
    }
    if (this.#c.checkCompId ?? true) {
      if (
        message.get(49) !== this.#c.targetCompId || message.get(56) !== this.#c.senderCompId ||
        (this.#idExpected.length > 0 && !this.#idsMatch(message))
      ) {
        if (!this.#receivedLogon) {
          this.#disconnect("CompID problem");
        } else {
          this.#reject(message, 9, undefined);
          this.#sendLogout("");
        }
        return false;
      }
    }
    if (checkTooHigh || checkTooLow) {
      const seq = message.msgSeqNum;
      if (Number.isNaN(seq)) {
        this.#disconnect("MsgSeqNum (34) missing or not a number");
        return false;
      }
      if (checkTooHigh && seq > this.#nextTarget) {
        this.#targetTooHigh(message, seq);
        return false;
      }
      if (checkTooLow && seq < this.#nextTarget) {
        this.#targetTooLow(message, seq);
        return false;
      }
      const range = this.#resendRange;
      if (range !== undefined) {
        if (seq >= range.end) {
          this.#log("info", `ResendRequest FROM: ${range.begin} TO: ${range.end} satisfied`);
          this.#resendRange = undefined;
        }
      }
    }
    this.#lastReceivedAtMs = this.#now;
    this.#testRequestsSent = 0;
    if (isAdminMsgType(msgType)) this.#out.push({ type: "admin", message });
    return true;
  }

  /** Whether `message` carries the configured sub and location IDs (checked like CompIDs). */
  #idsMatch(message: FixMessage): boolean {
    for (const [tag, value] of this.#idExpected) if (message.get(tag) !== value) return false;
    return true;
  }

  #targetTooHigh(message: FixMessage, seq: number): void {
    this.#log("info", `MsgSeqNum too high, expecting ${this.#nextTarget} but received ${seq}`);
    const limit = this.#c.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
    if (this.#queue.size < limit || this.#queue.has(seq)) this.#queue.set(seq, message);
    else this.#log("warn", `Queue full (${limit} messages); message ${seq} dropped until resent`);
    const range = this.#resendRange;
    if (range !== undefined && !this.#c.sendRedundantResendRequests && seq >= range.begin) {
      this.#log("info", `Already sent ResendRequest FROM: ${range.begin}; not sending another`);
      return;
    }
    this.#sendResendRequest(this.#nextTarget, seq - 1);
  }

  #targetTooLow(message: FixMessage, seq: number): void {
    if (message.get(43) !== "Y") {
      const text = `MsgSeqNum too low, expecting ${this.#nextTarget} but received ${seq}`;
      this.#sendLogout(text);
      this.#disconnect(text);
      return;
    }
    if (message.msgType === "4") return;
    const orig = message.get(122);
    if (orig === undefined) {
      this.#reject(message, 1, 122);
      return;
    }
    const origMs = parseTimestamp(orig);
    const sendingMs = parseTimestamp(message.get(52) ?? "");
    if (Number.isNaN(origMs)) {
      this.#reject(message, 6, 122);
    } else if (origMs > sendingMs) {
      this.#reject(message, 10, undefined);
      this.#sendLogout("");
    }
  }

  #nextLogon(logon: FixMessage): void {
    const resetFlag = logon.get(141) === "Y";
    this.#receivedReset = resetFlag;
    if (resetFlag) {
      this.#log("info", "Logon contains ResetSeqNumFlag=Y, resetting sequence numbers to 1");
      if (!this.#sentReset) this.#reset("ResetSeqNumFlag=Y on Logon");
    }
    if (this.#c.role === "initiator" && !this.#sentLogon && !resetFlag) {
      this.#disconnect("Received Logon response before sending request");
      return;
    }
    if (this.#c.role === "acceptor" && this.#c.resetOnLogon && !resetFlag) {
      this.#reset("ResetOnLogon");
    }
    if (!this.#verify(logon, false, true)) return;
    const hbIdx = logon.indexOf(108);
    const hb = hbIdx < 0 ? NaN : logon.intAt(hbIdx);
    if (!(hb >= 0)) {
      this.#sendLogout("HeartBtInt (108) must be a non-negative integer");
      this.#disconnect("Invalid HeartBtInt on Logon");
      return;
    }
    const refusal = this.#c.authorizeLogon?.(logon);
    if (refusal !== undefined) {
      this.#log("warn", `Logon refused: ${refusal}`);
      this.#sendLogout(refusal);
      this.#disconnect(`Logon refused: ${refusal}`);
      return;
    }
    if (this.#held !== undefined && !resetFlag) return this.#refuseHeld(this.#held);
    let nextExpected: number | undefined;
    if (this.#c.enableNextExpectedMsgSeqNum && this.#rank >= 44) {
      const i = logon.indexOf(789);
      if (i >= 0) {
        nextExpected = logon.intAt(i);
        if (!(nextExpected >= 1)) {
          const text = `NextExpectedMsgSeqNum (789) must be a positive integer, ` +
            `received ${logon.stringAt(i)}`;
          this.#sendLogout(text);
          this.#disconnect(text);
          return;
        }
        if (nextExpected > this.#nextSender && !resetFlag) {
          if (!this.#counterpartyAhead(nextExpected, "logon-next-expected")) return;
        }
      }
    }
    this.#receivedLogon = true;
    const lastSentBeforeLogon = this.#nextSender - 1;
    if (this.#c.role === "acceptor" || (this.#receivedReset && !this.#sentReset)) {
      this.#heartbeatIntervalS = hb;
      const body: Field[] = [[98, 0], [108, hb]];
      if (this.#receivedReset) body.push([141, "Y"]);
      if (this.#isFixt && this.#senderApplVerId !== undefined) {
        body.push([1137, this.#senderApplVerId]);
      }
      if (this.#c.enableNextExpectedMsgSeqNum && this.#rank >= 44) {
        body.push([
          789,
          logon.msgSeqNum === this.#nextTarget ? this.#nextTarget + 1 : this.#nextTarget,
        ]);
      }
      this.#sendNew("A", [], body, true);
      this.#sentLogon = true;
    }
    this.#logonDeadlineAtMs = undefined;
    this.#setState("active", "Logon exchanged");
    this.#sentReset = false;
    this.#receivedReset = false;
    if (nextExpected !== undefined && nextExpected <= lastSentBeforeLogon) {
      // through our Logon's own number (an acceptor's answer was sent after
      // lastSentBeforeLogon): the counterparty then expects the one after it
      this.#resend(nextExpected, lastSentBeforeLogon, this.#nextSender);
    }
    const seq = logon.msgSeqNum;
    if (seq > this.#nextTarget && !resetFlag) {
      this.#targetTooHigh(logon, seq);
    } else {
      this.#accept(logon);
      this.#processQueued();
    }
    if (this.isLoggedOn) this.#out.push({ type: "logon" });
  }

  #nextHeartbeat(message: FixMessage): void {
    if (!this.#verify(message, true, true)) return;
    this.#accept(message);
  }

  #nextTestRequest(message: FixMessage): void {
    if (!this.#verify(message, true, true)) return;
    const id = message.getBytes(112);
    this.#sendNew("0", [], id === undefined ? [] : [[112, id]], true);
    this.#accept(message);
  }

  #nextReject(message: FixMessage): void {
    if (!this.#verify(message, true, true)) return;
    this.#accept(message);
  }

  #nextLogout(message: FixMessage): void {
    if (!this.#verify(message, false, false)) return;
    const text = message.get(58) ?? "";
    const what = this.#sentLogout ? "Received Logout response" : "Received Logout request";
    // the counterparty's reason matters to an operator: at warn when it refuses or complains
    // (e.g. "MsgSeqNum too low"), at info for an ordinary end of day
    if (text === "") this.#log("info", what);
    else this.#log(isTroubleLogout(text, this.isLoggedOn) ? "warn" : "info", `${what}: ${text}`);
    const tooLow = text === "" ? undefined : parseTooLowText(text);
    if (tooLow !== undefined && tooLow.expected > this.#nextSender - 1) {
      // our numbers are behind what the counterparty saw: outbound messages were lost
      const proceed = this.#counterpartyAhead(tooLow.expected, "logout-text", tooLow.received);
      if (!proceed) {
        if (message.msgSeqNum === this.#nextTarget) this.#accept(message);
        return;
      }
    }
    if (!this.#sentLogout) this.#sendLogout("");
    if (message.msgSeqNum === this.#nextTarget) this.#accept(message);
    if (this.#c.resetOnLogout) this.#reset("ResetOnLogout");
    this.#disconnect("Logout");
  }

  #nextSequenceReset(message: FixMessage): void {
    const gapFill = message.get(123) === "Y";
    if (!this.#verify(message, gapFill, gapFill)) return;
    const i = message.indexOf(36);
    if (i < 0) {
      this.#reject(message, 1, 36);
      return;
    }
    const newSeqNo = message.intAt(i);
    if (Number.isNaN(newSeqNo)) {
      this.#reject(message, 6, 36);
      return;
    }
    this.#log("info", `Received SequenceReset FROM: ${this.#nextTarget} TO: ${newSeqNo}`);
    if (newSeqNo > this.#nextTarget) {
      this.#nextTarget = newSeqNo;
      this.#sequence(false, gapFill ? "SequenceReset-GapFill" : "SequenceReset-Reset");
    } else if (newSeqNo < this.#nextTarget) {
      this.#reject(message, 5, undefined);
    }
  }

  #nextResendRequest(message: FixMessage): void {
    if (!this.#verify(message, false, false)) return;
    const bi = message.indexOf(7);
    const ei = message.indexOf(16);
    if (bi < 0) return this.#reject(message, 1, 7);
    if (ei < 0) return this.#reject(message, 1, 16);
    const begin = message.intAt(bi);
    let end = message.intAt(ei);
    if (!(begin >= 1)) return this.#reject(message, 5, 7);
    if (!(end >= 0)) return this.#reject(message, 5, 16);
    this.#log("info", `Received ResendRequest FROM: ${begin} TO: ${end}`);
    if (
      (this.#rank >= 42 && end === 0) || (this.#rank <= 42 && end === 999999) ||
      end >= this.#nextSender
    ) {
      end = this.#nextSender - 1;
    }
    const limit = this.#c.maxResendRange ?? DEFAULT_MAX_RESEND_RANGE;
    if (end - begin + 1 > limit) {
      this.#reject(
        message,
        5,
        16,
        `ResendRequest range ${begin}-${end} exceeds the limit of ${limit} messages`,
      );
      return;
    }
    if (begin <= end) this.#resend(begin, end);
    const seq = message.msgSeqNum;
    if (seq === this.#nextTarget) {
      this.#accept(message);
    } else if (seq > this.#nextTarget) {
      this.#targetTooHigh(message, seq);
    }
  }

  #nextApplication(message: FixMessage): void {
    if (!this.#verify(message, true, true)) return;
    this.#accept(message);
    if (this.#lostOutbound !== undefined && message.get(43) === "Y") {
      this.#out.push({ type: "deliver", message, possiblyExecutedElsewhere: true });
    } else {
      this.#out.push({ type: "deliver", message });
    }
  }

  /**
   * The counterparty expects `expected` as our next MsgSeqNum, above ours: records the lost
   * range and follows the policy. True when the caller may go on (policy `continue`).
   */
  #counterpartyAhead(expected: number, source: LostOutboundSource, from?: number): boolean {
    const range: LostOutboundRange = {
      fromSeqNum: Math.min(from ?? this.#nextSender, this.#nextSender),
      toSeqNum: expected - 1,
      source,
      policy: this.#c.onCounterpartyAhead ?? DEFAULT_COUNTERPARTY_AHEAD_POLICY,
    };
    this.#lostOutbound = range;
    this.#out.push({ type: "lost-outbound", range });
    this.#log(
      "warn",
      `Counterparty expects MsgSeqNum ${expected} but our next is ${this.#nextSender}: ` +
        `outbound ${range.fromSeqNum}-${range.toSeqNum} lost (${source}); policy ${range.policy}`,
    );
    if (range.policy === "continue") {
      this.#nextSender = Math.max(this.#nextSender, expected);
      this.#sequence(false, `counterparty ahead: continuing from ${expected}`);
      return true;
    }
    this.#held = range;
    this.#refuseHeld(range);
    return false;
  }

  /** Refuses to trade while held: a Logout that consumes no sequence number, then disconnect. */
  #refuseHeld(range: LostOutboundRange): void {
    const text = heldText(range);
    this.#log("warn", text);
    const bytes = this.encodeRefusal(text, this.#now);
    this.#out.push({
      type: "send",
      msgType: "5",
      seqNum: this.#nextSender,
      bytes,
      persist: false,
      transmit: true,
    });
    this.#disconnect("Session held for the operator");
  }
}
