/**
 * The FIX session layer, pure: the session protocol state machine
 * ({@linkcode Session}) and session schedules ({@linkcode SessionSchedule}).
 *
 * Nothing here touches the network, the disk or the clock: the engine
 * (lib/engine) feeds events in with the time and carries the returned actions
 * out. That makes every rule of the FIX session protocol testable as a script.
 *
 * @example
 * ```ts
 * import { Session } from "./mod.ts";
 * import { decodeMessage } from "../fix/message.ts";
 * import { encodeMessage } from "../fix/encoder.ts";
 *
 * const session = new Session({
 *   beginString: "FIX.4.4",
 *   senderCompId: "ISLD",
 *   targetCompId: "TW",
 *   role: "acceptor",
 * });
 * const now = Date.UTC(2026, 10, 24, 12);
 * session.connect(now);
 * const logon = decodeMessage(encodeMessage("FIX.4.4", "A", [
 *   [34, 1], [49, "TW"], [52, "20261124-12:00:00"], [56, "ISLD"], [98, 0], [108, 30],
 * ]));
 * for (const action of session.receive(logon, now)) {
 *   if (action.type === "send") console.log(action.msgType, action.seqNum); // A 1
 * }
 * ```
 *
 * @module
 */

export {
  APPL_VER_IDS,
  applVerIdCode,
  BUSINESS_REJECT_TEXTS,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  DEFAULT_LOGON_TIMEOUT_S,
  DEFAULT_LOGOUT_TIMEOUT_S,
  DEFAULT_MAX_QUEUED_MESSAGES,
  DEFAULT_MAX_RESEND_RANGE,
  DEFAULT_SENDING_TIME_TOLERANCE_S,
  type Field,
  HEADER_TAGS,
  isAdminMsgType,
  type MessageValidator,
  Session,
  SESSION_REJECT_TEXTS,
  type SessionAction,
  type SessionConfig,
  SessionConfigError,
  type SessionEvent,
  sessionKeyOf,
  type SessionRole,
  SessionStateError,
  type SessionStateName,
  type StateTransition,
  type ValidationIssue,
} from "./session.ts";
export {
  type ScheduleConfig,
  ScheduleConfigError,
  type SchedulePeriod,
  SessionSchedule,
} from "./schedule.ts";
export {
  type CounterpartyAheadPolicy,
  DEFAULT_COUNTERPARTY_AHEAD_POLICY,
  type LostOutboundRange,
  type LostOutboundSource,
} from "./counterparty_ahead.ts";
