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

import type { FixMessage } from "../fix/message.ts";
import {
  DEFAULT_COUNTERPARTY_AHEAD_POLICY,
  heldText,
  isTroubleLogout,
  LogonLoopDetector,
  type LostOutboundRange,
  lostOutboundRange,
  type LostOutboundSource,
  lostOutboundText,
  parseTooLowText,
} from "./counterparty_ahead.ts";
import { expectedInboundIdentity, sessionKeyOf } from "./session_id.ts";
import {
  checkSessionConfig,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  DEFAULT_LOGON_TIMEOUT_S,
  DEFAULT_LOGOUT_TIMEOUT_S,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_MAX_RESEND_RANGE,
  DEFAULT_SENDING_TIME_TOLERANCE_S,
  type Field,
  type SessionConfig,
} from "./session_config.ts";
import {
  deliverEvent,
  type SessionAction,
  type SessionEvent,
  SessionStateError,
  type SessionStateName,
  type StateTransition,
} from "./session_action.ts";
import {
  APPL_VER_IDS,
  applVerIdCode,
  isAdminMsgType,
  isPlainBody,
  splitFields,
} from "./session_fields.ts";
import { logonBody } from "./_outbound.ts";
import {
  businessReject,
  type RejectingSession,
  rejectUnsupported,
  sessionReject,
} from "./_rejects.ts";
import { Outbox } from "./_outbox.ts";
import { Liveness, TIMEOUTS } from "./_liveness.ts";
import {
  firstInvalidTag,
  type HeaderFault,
  headerFault,
  InboundIdentity,
  possDupFault,
  validationContext,
  validLogonState,
} from "./_inbound.ts";
import {
  nextResendChunk,
  readResendRequest,
  type ResendRange,
  resendRequestFor,
  type ResendRequestPlan,
  type ResendSink,
  servedEnd,
  serveResend,
} from "./_resend.ts";

export { type SessionIdParts, sessionKeyOf } from "./session_id.ts";
export * from "./session_config.ts";
export * from "./session_action.ts";
export {
  APPL_VER_IDS,
  applVerIdCode,
  BUSINESS_REJECT_TEXTS,
  HEADER_TAGS,
  isAdminMsgType,
  SESSION_REJECT_TEXTS,
} from "./session_fields.ts";

const NO_FIELDS: readonly Field[] = [];

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
  #state: SessionStateName = "disconnected";
  #transitions: StateTransition[] = [];
  #nextSender: number;
  #nextTarget: number;
  #heartbeatIntervalS: number;
  readonly #live: Liveness;
  #receivedLogon = false;
  #sentLogon = false;
  #sentLogout = false;
  #receivedReset = false;
  #sentReset = false;
  #queue = new Map<number, FixMessage>();
  #resendRange: ResendRange | undefined;
  #senderApplVerId: string | undefined;
  #targetApplVerId: string | undefined;
  readonly #o: Outbox;
  #periodStartAtMs: number | undefined;
  #periodEndAtMs: number | undefined;
  #held: LostOutboundRange | undefined;
  #lostOutbound: LostOutboundRange | undefined;
  readonly #loops: LogonLoopDetector;
  /** The largest SendingTime difference accepted; undefined: not checked. */
  readonly #toleranceMs: number | undefined;
  /** Who received messages must come from and be for; undefined: not checked. */
  readonly #identity: InboundIdentity | undefined;
  /** Where a resend we serve goes (made once: resends are rare, the session is long-lived). */
  readonly #resendSink: ResendSink;
  /** What the rejects (`_rejects.ts`) see of this session (made once). */
  readonly #rejecting: RejectingSession;

  constructor(config: SessionConfig) {
    const rank = checkSessionConfig(config);
    this.#c = config;
    this.#rank = rank;
    this.#isFixt = rank === 50;
    this.#periodStartAtMs = config.periodStartAtMs;
    this.#nextSender = config.nextSenderSeqNum ?? 1;
    this.#nextTarget = config.nextTargetSeqNum ?? 1;
    this.#loops = new LogonLoopDetector(config.logonLoop);
    this.#heartbeatIntervalS = config.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S;
    if (this.#isFixt && config.defaultApplVerId !== undefined) {
      this.#senderApplVerId = applVerIdCode(config.defaultApplVerId);
    }
    this.key = sessionKeyOf(config.beginString, config.senderCompId, config.targetCompId, config);
    this.#toleranceMs = (config.checkLatency ?? true)
      ? (config.sendingTimeToleranceS ?? DEFAULT_SENDING_TIME_TOLERANCE_S) * 1000
      : undefined;
    this.#identity = (config.checkCompId ?? true)
      ? new InboundIdentity(
        config.targetCompId,
        config.senderCompId,
        expectedInboundIdentity(config),
      )
      : undefined;
    this.#live = new Liveness(config.testRequestDelayMultiplier);
    this.#o = new Outbox(config, rank, this.#live, this.key);
    this.#resendSink = {
      gapFill: (begin, newSeqNo) => this.#o.gapFill(begin, newSeqNo, this.#nextTarget - 1),
      resend: (seqNum, stored) => this.#o.resend(seqNum, stored),
      warn: (text) => this.#o.log("warn", text),
    };
    this.#rejecting = {
      rank,
      nextTargetSeqNum: () => this.#nextTarget,
      receivedLogon: () => this.#receivedLogon,
      isLoggedOn: () => this.isLoggedOn,
      log: (level, text) => this.#o.log(level, text),
      accept: (message) => this.#accept(message),
      sendNew: (msgType, header, body, transmit) => this.#sendNew(msgType, header, body, transmit),
    };
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
    let d = this.#live.nextDeadlineAtMs(this.#heartbeatIntervalS, this.#receivedLogon);
    if (this.#periodEndAtMs !== undefined && !this.#isDown()) d = Math.min(d, this.#periodEndAtMs);
    return d === Infinity ? undefined : Math.ceil(d);
  }

  // ---------------------------------------------------------------- events

  /** The transport is up. An initiator sends its Logon; an acceptor starts the logon timer. */
  connect(nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (!this.#isDown()) {
      throw new SessionStateError(
        this.#state,
        `Cannot connect session ${this.key}: it is ${this.#state}`,
      );
    }
    if (!this.#inSchedule()) {
      this.#o.log("warn", "Connection outside session time");
      this.#o.push({ type: "disconnect", reason: "Outside session time" });
      return this.#o.flush();
    }
    if (this.#held !== undefined && this.#c.role === "initiator") {
      this.#o.log("warn", heldText(this.#held));
      this.#o.push({ type: "disconnect", reason: "Session held for the operator" });
      return this.#o.flush();
    }
    this.#loops.started(nowMs);
    this.#live.lastReceivedAtMs = nowMs;
    this.#live.lastSentAtMs = nowMs;
    this.#live.testRequestsSent = 0;
    this.#live.logonDeadlineAtMs = nowMs +
      (this.#c.logonTimeoutS ?? DEFAULT_LOGON_TIMEOUT_S) * 1000;
    if (this.#c.role === "initiator") {
      this.#sendLogonRequest();
      this.#setState("logon-sent", "connected; Logon sent");
    } else {
      this.#setState("awaiting-logon", "connection accepted");
    }
    return this.#o.flush();
  }

  /** A framed, decoded message arrived. */
  receive(message: FixMessage, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (this.#isDown()) {
      this.#o.log("warn", `Ignored message received while disconnected: ${message.msgType}`);
      return this.#o.flush();
    }
    if (!this.#inSchedule() && message.msgType !== "5") {
      this.#o.log("warn", `Message ${message.msgType} received outside session time ignored`);
      if (!this.#receivedLogon) this.#disconnect("Logon outside session time");
      return this.#o.flush();
    }
    this.#process(message);
    if (!this.#isDown()) this.#processQueued();
    if (!this.#isDown()) this.#advanceResendChunk();
    if (!this.#isDown() && this.#receivedLogon) this.#timers();
    return this.#o.flush();
  }

  /**
   * Bytes that could not be framed were discarded (the sequence number is not consumed).
   * With `rejectGarbledMessage`, a garbled `message` (decoded despite a bad CheckSum or
   * BodyLength) that has a MsgSeqNum is answered with a session Reject instead.
   */
  garbled(detail: string, nowMs: number, message?: FixMessage): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (
      this.#c.rejectGarbledMessage && message !== undefined && this.#receivedLogon &&
      !this.#isDown() && message.msgType !== "" && message.has(34)
    ) {
      this.#reject(message, 99, undefined, `Garbled message: ${detail}`);
      return this.#o.flush();
    }
    this.#o.log("warn", `Garbled message ignored: ${detail}`);
    return this.#o.flush();
  }

  /** Timer: heartbeats, TestRequests, logon/logout timeouts. */
  tick(nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (!this.#isDown() && this.#inSchedule()) this.#timers();
    return this.#o.flush();
  }

  /** The transport is gone (closed by either side). */
  disconnected(reason: string, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (!this.#isDown()) this.#disconnect(reason, false);
    return this.#o.flush();
  }

  /**
   * Sends an application (or admin) message. `fields` follow MsgType; header tags
   * among them are written in the header. When not logged on the message is stored
   * (to be resent on request) but not transmitted.
   */
  send(msgType: string, fields: Iterable<Field>, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (isPlainBody(fields)) {
      // the usual case, an array of body fields only: encoded as given, no copies
      this.#sendNew(msgType, NO_FIELDS, fields, this.isLoggedOn);
    } else {
      const header: Field[] = [];
      const body: Field[] = [];
      splitFields(fields, header, body);
      this.#sendNew(msgType, header, body, this.isLoggedOn);
    }
    return this.#o.flush();
  }

  /** Starts a Logout (e.g. end of day); the connection closes on the answer or timeout. */
  logout(text: string, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
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
    return this.#o.flush();
  }

  /**
   * Hands back an array of actions this session returned, once the caller has carried them
   * out: a later call may return it again (emptied, then filled), so the hot path allocates
   * none. Optional; the caller must not read the array after handing it back.
   */
  releaseActions(actions: SessionAction[]): void {
    this.#o.release(actions);
  }

  /** The same as the individual methods, as one entry point taking an event value. */
  handle(event: SessionEvent, nowMs: number): SessionAction[] {
    return deliverEvent(this, event, nowMs);
  }

  /**
   * Refuses an application message as unsupported: Business Message Reject (35=j,
   * 380=3) on FIX.4.2+, session Reject (35=3) on FIX.4.0/4.1.
   */
  rejectUnsupported(message: FixMessage, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    rejectUnsupported(this.#rejecting, message);
    return this.#o.flush();
  }

  /** Sends a Business Message Reject (35=j) for `message` (FIX.4.2+). */
  businessReject(
    message: FixMessage,
    reason: number,
    nowMs: number,
    refTagId?: number,
  ): SessionAction[] {
    this.#o.nowMs = nowMs;
    businessReject(this.#rejecting, message, reason, refTagId);
    return this.#o.flush();
  }

  /**
   * Encodes a Logout refusing a connection that this node must not serve (e.g. a
   * standby). Nothing is stored and no state changes: the caller writes the bytes
   * and closes the connection.
   */
  encodeRefusal(text: string, nowMs: number): Uint8Array {
    this.#o.nowMs = nowMs;
    const e = this.#o.header("5", this.#nextSender, [], this.#nextTarget - 1);
    e.field(58, text);
    return e.finish();
  }

  /** Resets both sequence numbers to 1 (schedule boundary, operator command). */
  resetSequenceNumbers(why: string, nowMs: number): SessionAction[] {
    this.#o.nowMs = nowMs;
    if (this.isLoggedOn) this.#sendLogout(`Session reset: ${why}`);
    this.#reset(why);
    return this.#o.flush();
  }

  /** Sets the sequence numbers explicitly (operator command while disconnected). */
  setSequenceNumbers(nextSenderSeqNum: number, nextTargetSeqNum: number, nowMs: number) {
    this.#o.nowMs = nowMs;
    if (!(nextSenderSeqNum >= 1 && nextTargetSeqNum >= 1)) {
      throw new RangeError(
        `Cannot set sequence numbers ${nextSenderSeqNum}/${nextTargetSeqNum}: they must be >= 1`,
      );
    }
    this.#nextSender = nextSenderSeqNum;
    this.#nextTarget = nextTargetSeqNum;
    if (this.#held !== undefined) this.#o.log("warn", "Hold released: sequence numbers set");
    this.#held = undefined;
    this.#sequence(false, "set by operator");
    return this.#o.flush();
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
    const p = schedule.periodAt(this.#o.nowMs);
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

  /** The one door for state changes. */
  #setState(to: SessionStateName, why: string): void {
    const from = this.#state;
    if (from === to) return;
    const transition: StateTransition = { from, to, why, atMs: this.#o.nowMs };
    this.#state = to;
    this.#transitions.push(transition);
    if (this.#transitions.length > 64) this.#transitions.shift();
    this.#o.push({ type: "state", transition });
  }

  #sequence(reset: boolean, why: string): void {
    this.#o.push({
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
    if (requested) this.#o.push({ type: "disconnect", reason });
    const wasLoggedOn = this.#receivedLogon || this.#sentLogon;
    this.#receivedLogon = false;
    this.#sentLogon = false;
    this.#sentLogout = false;
    this.#receivedReset = false;
    this.#sentReset = false;
    this.#queue.clear();
    this.#resendRange = undefined;
    this.#live.stopped();
    this.#setState("disconnected", reason);
    const loop = this.#loops.ended(this.#o.nowMs, reason);
    if (loop !== undefined) this.#o.log("warn", loop);
    if (wasLoggedOn) this.#o.push({ type: "logout", reason });
    if (this.#c.resetOnDisconnect) this.#reset("ResetOnDisconnect");
  }

  #accept(message: FixMessage): void {
    this.#nextTarget++;
    this.#o.push({ type: "accepted", message });
  }

  #timers(): void {
    const due = this.#live.due(this.#o.nowMs, this.#heartbeatIntervalS, this.#receivedLogon);
    if (due === undefined) return;
    if (due === "test-request") {
      this.#sendNew("1", [], [[112, "TEST"]], true);
      this.#live.testRequestsSent++;
      this.#o.log("info", "Sent TestRequest TEST");
    } else if (due === "heartbeat") {
      this.#sendNew("0", [], [], true);
    } else {
      const { warning, reason } = TIMEOUTS[due];
      if (warning !== undefined) this.#o.log("warn", warning);
      this.#disconnect(reason);
    }
  }

  // ---------------------------------------------------------------- sending

  /** Sends a message with a fresh sequence number (persisted). */
  #sendNew(msgType: string, header: readonly Field[], body: readonly Field[], transmit: boolean) {
    const seqNum = this.#nextSender++;
    this.#o.sendNew(msgType, seqNum, header, body, transmit, this.#nextTarget - 1);
  }

  #sendLogonRequest(): void {
    if (this.#c.resetOnLogon) this.#reset("ResetOnLogon");
    const c = this.#c;
    const shouldSendReset = this.#rank >= 41 &&
      (c.resetOnLogon || c.resetOnLogout || c.resetOnDisconnect) &&
      this.#nextSender === 1 && this.#nextTarget === 1;
    if (shouldSendReset) this.#sentReset = true;
    const nextExpected = this.#sends789() ? this.#nextTarget : undefined;
    const body = logonBody(
      this.#heartbeatIntervalS,
      shouldSendReset === true,
      this.#isFixt ? this.#senderApplVerId : undefined,
      nextExpected,
      c.logonFields,
    );
    this.#live.lastReceivedAtMs = this.#o.nowMs;
    this.#live.testRequestsSent = 0;
    this.#sentLogon = true;
    this.#sendNew("A", [], body, true);
  }

  /** Whether Logons carry NextExpectedMsgSeqNum (789): configured, and FIX.4.4 or later. */
  #sends789(): boolean {
    return (this.#c.enableNextExpectedMsgSeqNum ?? false) && this.#rank >= 44;
  }

  #sendLogout(text: string): void {
    const body: Field[] = text === "" ? [] : [[58, text]];
    this.#sendNew("5", [], body, true);
    this.#sentLogout = true;
    this.#live.logoutDeadlineAtMs = this.#o.nowMs +
      (this.#c.logoutTimeoutS ?? DEFAULT_LOGOUT_TIMEOUT_S) * 1000;
    this.#setState("logout-sent", text === "" ? "Logout sent" : `Logout sent: ${text}`);
  }

  #reject(message: FixMessage, reason: number, refTagId: number | undefined, text?: string) {
    sessionReject(this.#rejecting, message, reason, refTagId, text);
  }

  /** Serves a resend of [begin, end]; see {@linkcode serveResend}. */
  #resend(begin: number, end: number, fillTo = end + 1): void {
    serveResend(begin, end, fillTo, this.#c.outbound, this.#c.shouldResend, this.#resendSink);
  }

  /** With chunked ResendRequests: asks for the next chunk once the current one is filled. */
  #advanceResendChunk(): void {
    const range = this.#resendRange;
    if (range === undefined) return;
    const chunk = this.#c.resendRequestChunkSize ?? 0;
    const next = nextResendChunk(range, this.#nextTarget, chunk, this.#rank);
    if (next === "done") this.#resendRange = undefined;
    else if (next !== undefined) this.#sendResendRequest(next);
  }

  #sendResendRequest(plan: ResendRequestPlan): void {
    this.#sendNew("2", [], [[7, plan.beginSeqNo], [16, plan.endSeqNo]], true);
    this.#resendRange = plan.range;
    this.#o.log("info", `Sent ResendRequest FROM: ${plan.beginSeqNo} TO: ${plan.endSeqNo}`);
  }

  // ---------------------------------------------------------------- receiving

  #process(message: FixMessage): void {
    const msgType = message.msgType;
    if (msgType === "") {
      this.#o.log("warn", "Message without MsgType ignored");
      return;
    }
    if (!message.has(49)) return this.#fieldNotFound(message, 49);
    if (!message.has(56)) return this.#fieldNotFound(message, 56);
    if (!message.has(34)) {
      // unprocessable: no sequence number to consume, reject or resend (FIX: Logout, disconnect)
      const text = "MsgSeqNum (34) missing";
      this.#o.log("warn", `${msgType} without MsgSeqNum; logging out`);
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
    const badTag = firstInvalidTag(message);
    if (badTag !== undefined) {
      if (!this.#receivedLogon) {
        return this.#disconnect(`Invalid tag number ${badTag} before Logon`);
      }
      return this.#reject(message, 0, badTag);
    }
    if (this.#c.validate !== undefined) {
      const context = validationContext(message, this.#isFixt, this.#targetApplVerId);
      const issue = this.#c.validate(message, context);
      if (issue !== undefined) {
        if (!this.#receivedLogon) {
          this.#o.log("warn", `${msgType} before Logon failed validation: ${issue.text}`);
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
      this.#o.log("info", `Processing queued message ${seq}`);
      const msgType = message.msgType;
      if (msgType === "A" || msgType === "2") this.#accept(message);
      else this.#process(message);
    }
  }

  #fieldNotFound(message: FixMessage, tag: number): void {
    if (message.msgType === "A" || !this.#receivedLogon) {
      this.#o.log("warn", `Required field ${tag} missing from ${message.msgType}; disconnecting`);
      this.#disconnect(`Required field ${tag} missing from Logon`);
      return;
    }
    this.#reject(message, 1, tag);
  }

  /** QuickFIX's verify(): logon state, SendingTime, CompIDs, sequence, PossDup. */
  #verify(message: FixMessage, checkTooHigh: boolean, checkTooLow: boolean): boolean {
    const msgType = message.msgType;
    const valid = validLogonState(
      msgType,
      this.#receivedLogon,
      this.#sentLogon,
      this.#sentLogout,
      this.#receivedReset,
      this.#sentReset,
    );
    if (!valid) {
      this.#o.log("warn", `Logon state is not valid for message ${msgType}`);
      this.#disconnect(`Logon state is not valid for message ${msgType}`);
      return false;
    }
    const fault = headerFault(message, this.#o.nowMs, this.#toleranceMs, this.#identity);
    if (fault !== undefined) {
      this.#headerFault(message, fault);
      return false;
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
          this.#o.log("info", `ResendRequest FROM: ${range.begin} TO: ${range.end} satisfied`);
          this.#resendRange = undefined;
        }
      }
    }
    this.#live.lastReceivedAtMs = this.#o.nowMs;
    this.#live.testRequestsSent = 0;
    if (isAdminMsgType(msgType)) this.#o.push({ type: "admin", message });
    return true;
  }

  /** Before Logon a header fault disconnects; once logged on it is rejected. */
  #headerFault(message: FixMessage, fault: HeaderFault): void {
    const reject = fault.reject;
    if (!this.#receivedLogon || reject === undefined) {
      if (fault.warn) {
        this.#o.log("warn", `${fault.disconnect} on ${message.msgType}; disconnecting`);
      }
      this.#disconnect(fault.disconnect);
      return;
    }
    this.#reject(message, reject.reason, reject.tag);
    if (reject.logout) this.#sendLogout("");
  }

  #targetTooHigh(message: FixMessage, seq: number): void {
    this.#o.log("info", `MsgSeqNum too high, expecting ${this.#nextTarget} but received ${seq}`);
    const limit = this.#c.maxQueuedMessages ?? DEFAULT_MAX_QUEUED_MESSAGES;
    if (this.#queue.size < limit || this.#queue.has(seq)) this.#queue.set(seq, message);
    else this.#o.log("warn", `Queue full (${limit} messages); message ${seq} dropped until resent`);
    const range = this.#resendRange;
    if (range !== undefined && !this.#c.sendRedundantResendRequests && seq >= range.begin) {
      this.#o.log("info", `Already sent ResendRequest FROM: ${range.begin}; not sending another`);
      return;
    }
    const chunk = this.#c.resendRequestChunkSize ?? 0;
    this.#sendResendRequest(resendRequestFor(this.#nextTarget, seq - 1, chunk, this.#rank));
  }

  #targetTooLow(message: FixMessage, seq: number): void {
    if (message.get(43) !== "Y") {
      const text = `MsgSeqNum too low, expecting ${this.#nextTarget} but received ${seq}`;
      this.#sendLogout(text);
      this.#disconnect(text);
      return;
    }
    const fault = possDupFault(message);
    if (fault === undefined) return;
    this.#reject(message, fault.reason, fault.tag);
    if (fault.logout) this.#sendLogout("");
  }

  #nextLogon(logon: FixMessage): void {
    const resetFlag = logon.get(141) === "Y";
    this.#receivedReset = resetFlag;
    if (resetFlag) {
      this.#o.log("info", "Logon contains ResetSeqNumFlag=Y, resetting sequence numbers to 1");
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
      this.#o.log("warn", `Logon refused: ${refusal}`);
      this.#sendLogout(refusal);
      this.#disconnect(`Logon refused: ${refusal}`);
      return;
    }
    if (this.#held !== undefined && !resetFlag) return this.#refuseHeld(this.#held);
    let nextExpected: number | undefined;
    if (this.#sends789()) {
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
      const next = this.#nextTarget;
      const nextExpected = this.#sends789()
        ? (logon.msgSeqNum === next ? next + 1 : next)
        : undefined;
      const applVerId = this.#isFixt ? this.#senderApplVerId : undefined;
      const body = logonBody(hb, this.#receivedReset, applVerId, nextExpected, undefined);
      this.#sendNew("A", [], body, true);
      this.#sentLogon = true;
    }
    this.#live.logonDeadlineAtMs = undefined;
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
    if (this.isLoggedOn) this.#o.push({ type: "logon" });
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
    if (text === "") this.#o.log("info", what);
    else this.#o.log(isTroubleLogout(text, this.isLoggedOn) ? "warn" : "info", `${what}: ${text}`);
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
    this.#o.log("info", `Received SequenceReset FROM: ${this.#nextTarget} TO: ${newSeqNo}`);
    if (newSeqNo > this.#nextTarget) {
      this.#nextTarget = newSeqNo;
      this.#sequence(false, gapFill ? "SequenceReset-GapFill" : "SequenceReset-Reset");
    } else if (newSeqNo < this.#nextTarget) {
      this.#reject(message, 5, undefined);
    }
  }

  #nextResendRequest(message: FixMessage): void {
    if (!this.#verify(message, false, false)) return;
    const request = readResendRequest(message);
    if ("reason" in request) return this.#reject(message, request.reason, request.tag);
    const begin = request.begin;
    this.#o.log("info", `Received ResendRequest FROM: ${begin} TO: ${request.end}`);
    const end = servedEnd(request.end, this.#rank, this.#nextSender);
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
      this.#o.push({ type: "deliver", message, possiblyExecutedElsewhere: true });
    } else {
      this.#o.push({ type: "deliver", message });
    }
  }

  /**
   * The counterparty expects `expected` as our next MsgSeqNum, above ours: records the lost
   * range and follows the policy. True when the caller may go on (policy `continue`).
   */
  #counterpartyAhead(expected: number, source: LostOutboundSource, from?: number): boolean {
    const policy = this.#c.onCounterpartyAhead ?? DEFAULT_COUNTERPARTY_AHEAD_POLICY;
    const range = lostOutboundRange(expected, this.#nextSender, from, source, policy);
    this.#lostOutbound = range;
    this.#o.push({ type: "lost-outbound", range });
    this.#o.log("warn", lostOutboundText(range, expected, this.#nextSender));
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
    this.#o.log("warn", text);
    const bytes = this.encodeRefusal(text, this.#o.nowMs);
    const seqNum = this.#nextSender;
    this.#o.push({ type: "send", msgType: "5", seqNum, bytes, persist: false, transmit: true });
    this.#disconnect("Session held for the operator");
  }
}
