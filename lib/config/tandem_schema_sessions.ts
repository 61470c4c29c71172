/**
 * The `sessions[]` section of the Tandem schema: one FIX session (identity,
 * dictionaries, validation, schedule, initiator connect settings and the
 * QuickFIX/J-style settings), the constants it uses, and its cross-field
 * checks. To add a session key, add one field here; the section is composed in
 * `tandem_schema.ts`.
 *
 * @module
 */

import { ApplVerId } from "../fix/tags.ts";
import * as s from "./schema.ts";
import type { Infer } from "./schema.ts";
import { cidrList } from "./_edge.ts";
import { parseTimeOfDay } from "./values.ts";
import { type SessionIdParts, sessionKeyOf as sessionIdKey } from "../session/session_id.ts";
import { isPasswordHash, parseScryptHash } from "../session/password_hash.ts";

/** BeginString values a session may use. */
export const BEGIN_STRINGS = [
  "FIX.4.0",
  "FIX.4.1",
  "FIX.4.2",
  "FIX.4.3",
  "FIX.4.4",
  "FIXT.1.1",
] as const;

/** A session's BeginString(8). */
export type BeginString = typeof BEGIN_STRINGS[number];

/** ApplVerID(1128) enumeration: the name used in config → the code sent on the wire. */
export const APPL_VER_ID_CODES: Omit<typeof ApplVerId, "FIX.2.7" | "FIX.3.0"> = (() => {
  const { "FIX.2.7": _27, "FIX.3.0": _30, ...codes } = ApplVerId;
  return codes;
})();

/** An application version name usable as DefaultApplVerID. */
export type ApplVerName = keyof typeof APPL_VER_ID_CODES;

const APPL_VER_NAMES = Object.keys(APPL_VER_ID_CODES) as ApplVerName[];

/** The applications every node has: `sessions[].application` may also name one of the node's own. */
export const BUILTIN_APPLICATIONS = ["echo", "executor", "api"] as const;

/** Most sessions in one configuration. */
export const MAX_SESSIONS = 10_000;

/** Days for `schedule.days`. */
export const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

const COMP_ID = {
  pattern: /^[\x21-\x7e]+$/,
  patternHint: "printable ASCII without spaces",
  maxLength: 64,
} as const;

/** QuickFIX setting names (lower case) → where the setting lives in Tandem's configuration. */
export const QUICKFIX_KEY_HINTS: Readonly<Record<string, string>> = {
  connectiontype: "node.role (or --role)",
  socketacceptport: "fix.listen",
  socketaccepthost: "fix.listen",
  socketconnecthost: "sessions[].connect.addresses",
  socketconnectport: "sessions[].connect.addresses",
  reconnectinterval: "sessions[].connect.reconnectDelayMs",
  logontimeout: "sessions[].connect.logonTimeoutS (initiator) or fix.logonTimeoutS (acceptor)",
  logouttimeout: "fix.logoutTimeoutS",
  filestorepath: "node.dataDir",
  filelogpath: "log (Tandem logs to stderr)",
  heartbtint: "sessions[].heartbeatIntervalS",
  datadictionary: "sessions[].dictionary",
  appdatadictionary: "sessions[].dictionary",
  transportdatadictionary: "sessions[].transportDictionary",
  usedatadictionary: "sessions[].validation",
  validatefieldsoutoforder: "sessions[].validation.checkFieldsOutOfOrder",
  validatefieldshavevalues: "sessions[].validation.checkFieldsHaveValues",
  validateuserdefinedfields: "sessions[].validation.checkUserDefinedFields",
  allowunknownmsgfields: "sessions[].validation.allowUnknownMessageFields",
  validatelengthandchecksum: "sessions[].validation.validateLengthAndChecksum",
  starttime: "sessions[].schedule.startTime",
  endtime: "sessions[].schedule.endTime",
  nonstopsession: "sessions[].schedule.nonStop",
  timezone: "sessions[].schedule.timeZone",
  startday: "sessions[].schedule.days",
  endday: "sessions[].schedule.days",
  weekdays: "sessions[].schedule.days",
  millisecondsintimestamp: "sessions[].timestampPrecision",
  persistmessages: "the journal (always on)",
  enablelastmsgseqnumprocessed: "sessions[].enableLastMsgSeqNumProcessed",
  rejectgarbledmessage: "sessions[].rejectGarbledMessage",
  enablenextexpectedmsgseqnum: "sessions[].useNextExpectedMsgSeqNum",
  sendersubid: "sessions[].senderSubId",
  senderlocationid: "sessions[].senderLocationId",
  targetsubid: "sessions[].targetSubId",
  targetlocationid: "sessions[].targetLocationId",
  sessionqualifier: "sessions[].sessionQualifier",
  logontag: "sessions[].logonUsername (553) and sessions[].logonPassword (554)",
  logontag1: "sessions[].logonPassword (554) or sessions[].logonUsername (553)",
  username: "sessions[].logonUsername",
  password: "sessions[].logonPassword",
  acceptortemplate: 'sessions[].targetCompId with a glob ("*") and sessions[].maxTemplateSessions',
  dynamicsessions: 'sessions[].targetCompId with a glob ("*")',
};

const validation = s.object({
  validateLengthAndChecksum: s.boolean({
    doc:
      "Check BodyLength(9) and CheckSum(10) of every inbound message; garbled messages are dropped.",
    default: true,
  }),
  checkFieldsOutOfOrder: s.boolean({
    doc: "Reject messages whose header, body and trailer fields are out of order.",
    default: true,
  }),
  checkFieldsHaveValues: s.boolean({ doc: "Reject fields with empty values.", default: true }),
  checkUserDefinedFields: s.boolean({
    doc: "Validate user-defined fields (tags 5000 and up) against the dictionary.",
    default: true,
  }),
  allowUnknownMessageFields: s.boolean({
    doc: "Accept fields that the dictionary does not list for the message type.",
    default: false,
  }),
  checkRequiredFields: s.boolean({
    doc: "Reject messages missing a required field.",
    default: true,
  }),
}, { doc: "Inbound message validation against the dictionary (QuickFIX's switches)." });

const schedule = s.object(
  {
    nonStop: s.boolean({
      doc: "Session active all the time. Defaults to true unless startTime/endTime are given.",
      example: true,
    }),
    startTime: s.timeOfDay({
      doc: "Daily (or weekly with days) session start, HH:MM:SS in timeZone.",
      example: "08:00:00",
    }),
    endTime: s.timeOfDay({
      doc: "Session end, HH:MM:SS in timeZone; sequence numbers reset at the next start.",
      example: "17:00:00",
    }),
    days: s.array(s.oneOf(WEEKDAYS, { doc: "A weekday." }), {
      doc: "Days the session runs (all days when absent).",
      maxItems: 7,
      minItems: 1,
      example: ["mon", "tue", "wed", "thu", "fri"],
    }),
    timeZone: s.timeZone({ doc: "Time zone of startTime and endTime.", default: "UTC" }),
  },
  { doc: "When the session is active." },
  (v, ctx) => {
    const timed = v.startTime !== undefined || v.endTime !== undefined;
    if (v.nonStop === undefined) v.nonStop = !timed;
    if (v.nonStop && timed) {
      ctx.error("nonStop", "A nonStop session cannot have startTime or endTime");
    } else if (!v.nonStop) {
      if (v.startTime === undefined) {
        ctx.error("startTime", "Missing startTime (required unless nonStop)");
      }
      if (v.endTime === undefined) {
        ctx.error("endTime", "Missing endTime (required unless nonStop)");
      }
      if (
        v.startTime !== undefined && v.endTime !== undefined &&
        parseTimeOfDay(v.startTime) === parseTimeOfDay(v.endTime)
      ) {
        ctx.error(
          "endTime",
          "endTime equals startTime; use nonStop: true for a session that never ends",
        );
      }
    }
  },
);

const connect = s.object({
  addresses: s.array(s.hostPort({ doc: "An acceptor address." }), {
    doc: "Acceptor addresses in order of preference (primary first).",
    required: true,
    minItems: 1,
    maxItems: 16,
    example: ["127.0.0.1:9876", "127.0.0.1:9877"],
  }),
  strategy: s.oneOf(["always-start-on-primary", "round-robin", "fatal-failure", "priority"], {
    doc:
      "How to pick the next address (an attempt succeeds only when Logon completes): always-start-on-primary (after a session ends, start again at the first address), round-robin (go on with the next address), fatal-failure (like always-start-on-primary, but give up after attemptsPerAddress failures on every address in a row), priority (like always-start-on-primary, and while on a backup probe the first address every startOverIntervalMs, switching back with a graceful Logout when it answers).",
    default: "always-start-on-primary",
  }),
  connectTimeoutMs: s.duration({
    doc: "TCP connect (and TLS handshake) timeout.",
    unit: "ms",
    default: 5_000,
    min: 1,
    max: 600_000,
  }),
  attemptsPerAddress: s.integer({
    doc: "Connection attempts on one address before the next.",
    default: 3,
    min: 1,
    max: 1_000,
  }),
  reconnectDelayMs: s.duration({
    doc: "Pause before reconnecting after a logged-on session ended.",
    unit: "ms",
    default: 1_000,
    min: 0,
    max: 3_600_000,
  }),
  backoffMs: s.array(s.duration({ doc: "A delay.", unit: "ms", min: 0, max: 3_600_000 }), {
    doc:
      "Pause after the n-th consecutive failed attempt (refused, timed out, closed or refused before Logon); the last one repeats.",
    default: [100, 500, 1_000, 5_000],
    minItems: 1,
    maxItems: 32,
  }),
  startOverIntervalMs: s.duration({
    doc:
      "priority strategy: while logged on at a backup, how often to probe the first address (TCP/TLS connect only, no Logon).",
    unit: "ms",
    default: 60_000,
    min: 0,
    max: 86_400_000,
  }),
  logonTimeoutS: s.duration({
    doc: "Wait for the Logon answer before disconnecting.",
    unit: "s",
    default: 10,
    min: 1,
    max: 3_600,
  }),
  exitOnFatal: s.boolean({
    doc: "Exit the process (code 3) when the strategy gives up.",
    default: false,
  }),
  tls: s.object({
    caFile: s.string({
      doc: "PEM CA bundle trusted for the acceptor's certificate (besides the system roots).",
      example: "/etc/tandem/tls/ca.pem",
    }),
    certFile: s.string({
      doc: "PEM client certificate chain, for acceptors that require one (with keyFile).",
      example: "/etc/tandem/tls/client.pem",
    }),
    keyFile: s.string({
      doc: "PEM private key of certFile.",
      example: "/etc/tandem/tls/client-key.pem",
    }),
    serverName: s.string({
      doc:
        "Name to verify the acceptor's certificate against (default: the address's host). Not honoured together with certFile.",
      example: "fix.example.com",
    }),
  }, { doc: "Connect with TLS; absent means plain TCP.", optional: true }),
}, { doc: "Initiator only: where and how to connect.", optional: true });

/** A sub or location ID (printable ASCII without spaces, no `/` or `:`: they delimit the key). */
const ID_PART = {
  pattern: /^[\x21-\x2e\x30-\x39\x3b-\x7e]+$/,
  patternHint: "printable ASCII without spaces, / or :",
  maxLength: 64,
} as const;

/**
 * Session settings a QuickFIX/J user expects (identity parts, Logon credentials, HeartBtInt
 * bounds, acceptor templates), each documented with its QuickFIX/J name.
 */
const quickFixSessionFields = {
  senderSubId: s.string({
    doc:
      "SenderSubID(50) we send; received messages must carry it as TargetSubID(57). Part of the session id. QuickFIX/J: SenderSubID.",
    example: "DESK1",
    ...ID_PART,
  }),
  senderLocationId: s.string({
    doc:
      "SenderLocationID(142) we send; received messages must carry it as TargetLocationID(143). Part of the session id. QuickFIX/J: SenderLocationID.",
    example: "LDN",
    ...ID_PART,
  }),
  targetSubId: s.string({
    doc:
      "TargetSubID(57) we send; received messages must carry it as SenderSubID(50). Part of the session id. QuickFIX/J: TargetSubID.",
    example: "TRADER7",
    ...ID_PART,
  }),
  targetLocationId: s.string({
    doc:
      "TargetLocationID(143) we send; received messages must carry it as SenderLocationID(142). Part of the session id. QuickFIX/J: TargetLocationID.",
    example: "NYC",
    ...ID_PART,
  }),
  sessionQualifier: s.string({
    doc:
      "Tells apart sessions otherwise identical (never sent on the wire; initiators, as in QuickFIX/J). Part of the session id: FIX.4.4:A->B:QUAL. QuickFIX/J: SessionQualifier.",
    example: "marketdata",
    ...ID_PART,
  }),
  logonUsername: s.string({
    doc:
      "Username(553): an initiator sends it in its Logon; an acceptor requires it. QuickFIX/J: LogonTag=553=<user>.",
    example: "${ENV:FIX_USERNAME}",
    maxLength: 256,
  }),
  logonPassword: s.string({
    doc:
      "Password(554): an initiator sends it in its Logon; an acceptor requires it, compared in constant time, and may hold a scrypt hash instead (scrypt:<log2 N>:<r>:<p>:<salt>:<hash>, see README). A refused Logon gets the Logout text 'Invalid username or password'. Use ${ENV:NAME}. QuickFIX/J: LogonTag1=554=<password>.",
    secret: true,
    example: "${ENV:FIX_PASSWORD}",
    maxLength: 1_024,
  }),
  minHeartbeatIntervalS: s.duration({
    doc:
      "Acceptor: smallest HeartBtInt(108) accepted in a Logon; a smaller one is refused with a Logout. No QuickFIX/J counterpart (it takes any).",
    unit: "s",
    min: 0,
    max: 3_600,
    example: 5,
  }),
  maxHeartbeatIntervalS: s.duration({
    doc:
      "Acceptor: largest HeartBtInt(108) accepted in a Logon; a larger one is refused with a Logout. No QuickFIX/J counterpart.",
    unit: "s",
    min: 1,
    max: 86_400,
    example: 120,
  }),
  maxTemplateSessions: s.integer({
    doc:
      "Acceptor template (targetCompId holds * or ?, like QuickFIX/J's AcceptorTemplate=Y with TargetCompID=*): most sessions it creates; Logons beyond are refused.",
    default: 1_000,
    min: 1,
    max: 10_000,
  }),
} as const;

/** `sessions[]`: one FIX session. */
export const session = s.object(
  {
    beginString: s.oneOf(BEGIN_STRINGS, {
      doc: "BeginString(8) of the session.",
      required: true,
      example: "FIX.4.4",
    }),
    senderCompId: s.string({
      doc: "Our CompID: SenderCompID(49) of what we send.",
      required: true,
      example: "ISLD",
      ...COMP_ID,
    }),
    targetCompId: s.string({
      doc:
        "The counterparty's CompID: TargetCompID(56) of what we send. Acceptor: a glob with * or ? makes the session a template: the first valid Logon from a matching SenderCompID creates that session (kept in the journal across restarts and failovers).",
      required: true,
      example: "TW44",
      ...COMP_ID,
    }),
    defaultApplVerId: s.oneOf(APPL_VER_NAMES, {
      doc: "FIXT.1.1 only (and required there): DefaultApplVerID(1137), like FIX.5.0SP2.",
      example: "FIX.5.0SP2",
    }),
    heartbeatIntervalS: s.duration({
      doc:
        "HeartBtInt(108) an initiator proposes (an acceptor takes the counterparty's, within minHeartbeatIntervalS–maxHeartbeatIntervalS when set). QuickFIX/J: HeartBtInt.",
      unit: "s",
      default: 30,
      min: 1,
      max: 3_600,
    }),
    testRequestDelayMultiplier: s.number({
      doc: "Send a TestRequest after (1 + this) × the heartbeat interval without inbound traffic.",
      default: 0.5,
      min: 0,
      max: 10,
    }),
    sendingTimeToleranceS: s.duration({
      doc: "How far SendingTime(52) may be from our clock when checkLatency is on.",
      unit: "s",
      default: 120,
      min: 1,
      max: 86_400,
    }),
    maxLatencyS: s.duration({
      doc: "QuickFIX's name for sendingTimeToleranceS; give one or the other.",
      unit: "s",
      min: 1,
      max: 86_400,
      example: 120,
    }),
    checkLatency: s.boolean({
      doc: "Reject messages whose SendingTime is outside the tolerance.",
      default: true,
    }),
    checkCompId: s.boolean({
      doc: "Reject messages with the wrong SenderCompID/TargetCompID.",
      default: true,
    }),
    resetOnLogon: s.boolean({ doc: "Reset sequence numbers to 1 on every Logon.", default: false }),
    resetOnLogout: s.boolean({ doc: "Reset sequence numbers after a Logout.", default: false }),
    resetOnDisconnect: s.boolean({
      doc: "Reset sequence numbers after any disconnect.",
      default: false,
    }),
    refreshOnLogon: s.boolean({
      doc: "Reload session state from the journal before each Logon.",
      default: false,
    }),
    useNextExpectedMsgSeqNum: s.boolean({
      doc: "Send NextExpectedMsgSeqNum(789) on Logon (FIX.4.4+).",
      default: false,
    }),
    resendRequestChunkSize: s.integer({
      doc: "Ask for resends in chunks of this many messages; 0 = one request.",
      default: 0,
      min: 0,
      max: 1_000_000,
    }),
    maxResendRange: s.integer({
      doc:
        "Largest range served for one ResendRequest; larger requests are served with a SequenceReset-GapFill beyond it.",
      default: 100_000,
      min: 1,
      max: 100_000_000,
    }),
    // --- session-protocol options of other engines, and lossy-failover handling
    enableLastMsgSeqNumProcessed: s.boolean({
      doc:
        "Put LastMsgSeqNumProcessed(369), the last inbound MsgSeqNum processed, on every message we send (FIX.4.2+). QuickFIX/J: EnableLastMsgSeqNumProcessed.",
      default: false,
    }),
    rejectGarbledMessage: s.boolean({
      doc:
        "Answer a garbled message (bad CheckSum or BodyLength, still carrying a MsgSeqNum) with a session Reject instead of dropping it; dropping is the FIX rule. Needs validation.validateLengthAndChecksum. QuickFIX/J: RejectGarbledMessage.",
      default: false,
    }),
    onCounterpartyAhead: s.oneOf(["hold", "continue"], {
      doc:
        "When the counterparty expects a higher MsgSeqNum than this node would send (outbound messages lost in a lossy failover, seen from NextExpectedMsgSeqNum(789) or a 'MsgSeqNum too low' Logout): hold (refuse Logons with a Logout saying why, without using sequence numbers, until an operator sets them) or continue (jump to the counterparty's number). Either way a LostOutbound note is journaled and shown on /status.",
      default: "hold",
    }),
    // --- end
    timestampPrecision: s.oneOf([0, 3, 6, 9], {
      doc:
        "Fraction digits of SendingTime and other UTCTimestamps we send; 3 by default, 0 for FIX.4.0/4.1 (which allow no fractions).",
      example: 3,
    }),
    validation,
    dictionary: s.string({
      doc:
        "Custom QuickFIX XML dictionary (application messages for FIXT); default: the built-in one of the version.",
      example: "dictionaries/FIX44-venue.xml",
    }),
    transportDictionary: s.string({
      doc:
        "FIXT.1.1 only: custom transport (session-layer) dictionary; default: built-in FIXT.1.1.",
      example: "dictionaries/FIXT11.xml",
    }),
    schedule,
    application: s.string({
      doc:
        "What handles application messages: echo (test/demo), executor (fills orders; demo), api (HTTP/WebSocket programs), or the name of an application your own main.ts passes to runNode (README: Your own application).",
      default: "echo",
      pattern: /^[A-Za-z][A-Za-z0-9_.-]*$/,
      patternHint: "a name (letters, digits, _ . -, starting with a letter)",
      maxLength: 64,
    }),
    connect,
    ...quickFixSessionFields,
    allowedRemoteAddresses: cidrList(
      "Acceptor: this session's counterparty may only connect from these CIDR blocks (besides fix.allowedRemoteAddresses); on a template, every session it creates, restored ones included.",
    ),
  },
  { doc: "A FIX session.", hints: QUICKFIX_KEY_HINTS },
  (v, ctx) => {
    const fixt = v.beginString === "FIXT.1.1";
    if (fixt && v.defaultApplVerId === undefined) {
      ctx.error("defaultApplVerId", "Missing defaultApplVerId (required for FIXT.1.1 sessions)");
    }
    if (!fixt && v.defaultApplVerId !== undefined) {
      ctx.error(
        "defaultApplVerId",
        `defaultApplVerId applies only to FIXT.1.1 sessions, not ${v.beginString}`,
      );
    }
    if (!fixt && v.transportDictionary !== undefined) {
      ctx.error(
        "transportDictionary",
        `transportDictionary applies only to FIXT.1.1 sessions, not ${v.beginString}`,
      );
    }
    const old = v.beginString === "FIX.4.0" || v.beginString === "FIX.4.1";
    if (v.timestampPrecision === undefined) v.timestampPrecision = old ? 0 : 3;
    else if (old && v.timestampPrecision !== 0) {
      ctx.error("timestampPrecision", `${v.beginString} timestamps have no fractions; use 0`);
    }
    if (
      v.minHeartbeatIntervalS !== undefined && v.maxHeartbeatIntervalS !== undefined &&
      v.minHeartbeatIntervalS > v.maxHeartbeatIntervalS
    ) {
      ctx.error("minHeartbeatIntervalS", "minHeartbeatIntervalS exceeds maxHeartbeatIntervalS");
    }
    if (v.maxLatencyS !== undefined) {
      if (ctx.given("sendingTimeToleranceS")) {
        ctx.error("maxLatencyS", "Give sendingTimeToleranceS or maxLatencyS, not both");
      } else v.sendingTimeToleranceS = v.maxLatencyS;
    }
  },
);

/** `sessions`: the FIX sessions of this node. */
export const sessions = s.array(session, {
  doc: "The FIX sessions of this node.",
  required: true,
  minItems: 1,
  maxItems: MAX_SESSIONS,
});

/** Cross-field checks of the QuickFIX/J-style session settings. */
export function checkQuickFixSettings(
  sess: Infer<typeof session>,
  i: number,
  role: string | undefined,
  ctx: { error(path: string, message: string): void; warn(path: string, message: string): void },
): void {
  const glob = /[*?]/.test(sess.targetCompId);
  if (glob && role === "initiator") {
    ctx.error(
      `sessions[${i}].targetCompId`,
      "A CompID pattern (* or ?) makes an acceptor template; an initiator needs the real CompID",
    );
  }
  if (/[*?]/.test(sess.senderCompId)) {
    ctx.error(
      `sessions[${i}].senderCompId`,
      "senderCompId cannot be a pattern (only targetCompId)",
    );
  }
  if (role === "initiator") {
    for (const k of ["minHeartbeatIntervalS", "maxHeartbeatIntervalS"] as const) {
      if (sess[k] !== undefined) ctx.warn(`sessions[${i}].${k}`, `${k} applies to acceptors only`);
    }
    if (sess.logonPassword !== undefined && isPasswordHash(sess.logonPassword)) {
      ctx.warn(
        `sessions[${i}].logonPassword`,
        "An initiator sends the password as written; a scrypt: hash is for acceptors",
      );
    }
  } else if (sess.logonPassword !== undefined && isPasswordHash(sess.logonPassword)) {
    try {
      parseScryptHash(sess.logonPassword);
    } catch (e) {
      ctx.error(`sessions[${i}].logonPassword`, (e as Error).message);
    }
  }
}

/**
 * The key naming a session: `FIX.4.4:ISLD->TW44` (BeginString:SenderCompID->TargetCompID), with
 * sub/location IDs and qualifier when configured, as QuickFIX/J writes a SessionID
 * (`FIX.4.4:ISLD/DESK1->TW44:marketdata`; see lib/session/session_id.ts).
 */
export function sessionKeyOf(
  session: { beginString: string; senderCompId: string; targetCompId: string } & SessionIdParts,
): string {
  return sessionIdKey(session.beginString, session.senderCompId, session.targetCompId, session);
}
