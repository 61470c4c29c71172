/**
 * The schema of Tandem's YAML configuration: every key, its type, default, range and
 * documentation, in one place. To add a key, add one field here (and regenerate
 * `config.example.yaml` with `./denow run --allow-write=config.example.yaml lib/config/_write_example.ts`);
 * the type, validation, defaults and documentation follow.
 *
 * @module
 */

import { ApplVerId } from "../fix/tags.ts";
import * as s from "./schema.ts";
import type { Infer } from "./schema.ts";
import { isLoopbackHost } from "./_loopback.ts";
import { AddressFilter } from "../transport/address_filter.ts";
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

/**
 * `replication.autoPromoteAfterMs` must be at least this many
 * `replication.heartbeatIntervalMs`: the silence that drops a replication link
 * (`HEARTBEAT_TIMEOUT_INTERVALS` in lib/node/node.ts), so one late heartbeat
 * never promotes a healthy secondary.
 */
export const AUTO_PROMOTE_MIN_HEARTBEATS = 3;

/** Acknowledgement strategies of replication (see DESIGN.md §1.3). */
export const ACK_STRATEGIES = ["never", "forever", "timeout", "quorum"] as const;

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

const tls = s.object({
  certFile: s.string({
    doc: "PEM certificate chain presented by this node.",
    example: "/etc/tandem/tls/cert.pem",
  }),
  keyFile: s.string({ doc: "PEM private key of certFile.", example: "/etc/tandem/tls/key.pem" }),
  caFile: s.string({
    doc:
      "PEM CA bundle that client certificates must chain to (with requireClientCert). An initiator sets sessions[].connect.tls instead.",
    example: "/etc/tandem/tls/ca.pem",
  }),
  requireClientCert: s.boolean({
    doc: "Acceptor: refuse clients without a certificate signed by caFile.",
    default: false,
  }),
}, { doc: "TLS for FIX connections; absent means plain TCP.", optional: true });

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

// ---------------------------------------------------------------- edge security (admission, API input, origins, limits)

/** A list of CIDR blocks (IPv4 or IPv6) that connections may come from. */
function cidrList(doc: string) {
  return s.array(
    s.string({
      doc: "A CIDR block or single address.",
      pattern: CIDR_PATTERN,
      patternHint: "an IPv4 or IPv6 address, optionally /prefix",
      maxLength: 64,
    }),
    { doc, maxItems: 1_024, example: ["10.0.0.0/8", "2001:db8::/32"] },
  );
}

const CIDR_PATTERN = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

function checkCidrs(
  ctx: { error(path: string, message: string): void },
  path: string,
  blocks: readonly string[] | undefined,
): void {
  blocks?.forEach((b, i) => {
    try {
      AddressFilter.parse([b]);
    } catch (err) {
      ctx.error(`${path}[${i}]`, (err as Error).message);
    }
  });
}

/** Admission control of the FIX port: `fix.*` keys. */
const fixAdmission = {
  maxPendingConnections: s.integer({
    doc:
      "Connections that have not logged on, in all; beyond it the oldest pending connection is closed (they never count against maxConnections).",
    default: 64,
    min: 1,
    max: 100_000,
  }),
  maxPendingConnectionsPerAddress: s.integer({
    doc:
      "Connections that have not logged on from one source address; beyond it that address's oldest pending connection is closed.",
    default: 8,
    min: 1,
    max: 100_000,
  }),
  allowedRemoteAddresses: cidrList(
    "Acceptor: only accept connections from these CIDR blocks (absent: any address); sessions[].allowedRemoteAddresses narrows it per session.",
  ),
  refusalLogIntervalS: s.duration({
    doc: "Refused connections are logged at most once per this interval, with counts by reason.",
    unit: "s",
    default: 10,
    min: 1,
    max: 3_600,
  }),
} as const;

/** Browser-origin protection and limits shared by `api.*` and `admin.*`. */
function httpEdge(name: string, maxBodyBytesDefault: number) {
  return {
    allowedHosts: s.array(
      s.string({ doc: "A host name or address, without port.", maxLength: 253 }),
      {
        doc:
          `Host header values the ${name} answers besides the address it is bound to (loopback names are allowed when bound to loopback); any other Host is refused (DNS rebinding).`,
        default: [],
        maxItems: 64,
        example: ["gateway.internal"],
      },
    ),
    allowedOrigins: s.array(
      s.string({
        doc: "An origin, e.g. https://ops.example.",
        maxLength: 512,
        pattern: /^https?:\/\/[^/\s]+$/,
        patternHint: "scheme://host[:port]",
      }),
      {
        doc:
          `Browser origins allowed to call the ${name}; a request with any other Origin header is refused (empty: no browser page may call it).`,
        default: [],
        maxItems: 64,
        example: ["https://ops.example"],
      },
    ),
    maxBodyBytes: s.byteSize({
      doc: `Largest request body the ${name} reads; larger ones get 413.`,
      default: maxBodyBytesDefault,
      min: 1_024,
      max: 268_435_456,
    }),
  } as const;
}

const session = s.object(
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
      "Acceptor: this session's counterparty may only connect from these CIDR blocks (besides fix.allowedRemoteAddresses).",
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

// Replication link security (issue 11): peer membership and TLS.
const replicationTls = s.object({
  certFile: s.string({
    doc:
      "PEM certificate chain of this node, presented as server while leading and as client certificate when following or probing (give it both serverAuth and clientAuth usage).",
    example: "/etc/tandem/tls/node.pem",
  }),
  keyFile: s.string({
    doc: "PEM private key of certFile.",
    example: "/etc/tandem/tls/node-key.pem",
  }),
  caFile: s.string({
    doc:
      "PEM CA bundle that peers' certificates must chain to (server certificates always, client certificates with requireClientCert).",
    example: "/etc/tandem/tls/ca.pem",
  }),
  requireClientCert: s.boolean({
    doc: "Refuse replication peers without a certificate signed by caFile (mutual TLS).",
    default: true,
  }),
}, {
  doc:
    "TLS for the replication link (confidentiality and integrity against a man-in-the-middle); absent means plain TCP.",
  optional: true,
});

const replicationPeerIds = s.array(
  s.string({
    doc: "A peer's node.id.",
    pattern: /^[A-Za-z0-9_.-]+$/,
    patternHint: "letters, digits, _ . -",
    maxLength: 64,
  }),
  {
    doc:
      "node.id of every other node of the cluster: a replication handshake from or to any other id is refused. Required for a primary, a secondary and a cluster member.",
    default: [],
    maxItems: 16,
    example: ["tandem-b"],
  },
);

const replication = s.object({
  listen: s.hostPort({
    doc:
      "This node's replication address, served while it is the primary (a secondary serves it once promoted).",
    example: "0.0.0.0:9880",
  }),
  primary: s.hostPort({
    doc: "Secondary: the primary's replication address.",
    example: "10.0.0.1:9880",
  }),
  peers: s.array(s.hostPort({ doc: "A peer's replication address." }), {
    doc:
      "Other nodes' replication addresses: a primary probes them to step down when a peer was promoted, and follows them after stepping down. A secondary's primary is included.",
    default: [],
    maxItems: 16,
    example: ["10.0.0.2:9880"],
  }),
  clusterId: s.string({
    doc: "Name shared by the nodes of one pair; a node refuses a peer of another cluster.",
    default: "tandem",
    pattern: /^[A-Za-z0-9_.-]+$/,
    patternHint: "letters, digits, _ . -",
    maxLength: 64,
  }),
  secret: s.string({
    doc:
      "Shared secret authenticating the peers; required for primary and secondary. Use ${ENV:NAME}.",
    secret: true,
    minLength: 16,
    example: "${ENV:TANDEM_REPLICATION_SECRET}",
  }),
  ackStrategy: s.oneOf(ACK_STRATEGIES, {
    doc:
      "When an outbound message may go to the socket: never (at once), forever (after the replica's ack), timeout (after the ack or ackTimeoutMs), quorum (after `quorum` replicas ack).",
    default: "timeout",
  }),
  ackTimeoutMs: s.duration({
    doc: "timeout strategy: longest wait for an ack.",
    unit: "ms",
    default: 500,
    min: 1,
    max: 600_000,
  }),
  quorum: s.integer({ doc: "quorum strategy: replica acks needed.", default: 1, min: 1, max: 16 }),
  ackStrategyByMsgType: s.record(s.oneOf(ACK_STRATEGIES, { doc: "Strategy for this MsgType." }), {
    doc: 'Per-MsgType overrides of ackStrategy, like { "8": forever }.',
    default: {},
    keyPattern: /^[0-9A-Za-z]{1,8}$/,
    keyHint: "a MsgType (1–8 letters or digits)",
    maxEntries: 1_000,
    example: { "8": "forever" },
  }),
  maxUnackedMessages: s.integer({
    doc: "Most outbound messages waiting for acks; beyond it sending blocks.",
    default: 10_000,
    min: 1,
    max: 10_000_000,
  }),
  heartbeatIntervalMs: s.duration({
    doc: "Replication link heartbeat.",
    unit: "ms",
    default: 1_000,
    min: 10,
    max: 600_000,
  }),
  autoPromoteAfterMs: s.duration({
    doc:
      "Secondary: promote itself after the link has been silent this long; 0 = only by command. At least 3 × heartbeatIntervalMs.",
    unit: "ms",
    default: 0,
    min: 0,
    max: 86_400_000,
  }),
  // -- auto-promotion safety (journal reliability work) --
  requireContactBeforeAutoPromote: s.boolean({
    doc:
      "Secondary: auto-promote only after hearing from a primary at least once since start, so a standby started before (or without) its primary never promotes itself.",
    default: true,
  }),
  // -- end auto-promotion safety --
  reconnectDelayMs: s.duration({
    doc: "Secondary: pause before reconnecting to the primary.",
    unit: "ms",
    default: 1_000,
    min: 1,
    max: 600_000,
  }),
  connectTimeoutMs: s.duration({
    doc: "Secondary: TCP connect timeout to the primary.",
    unit: "ms",
    default: 5_000,
    min: 1,
    max: 600_000,
  }),
  readyLagRecords: s.integer({
    doc: "Secondary: /ready answers 200 while at most this many records behind the primary.",
    default: 0,
    min: 0,
    max: 1_000_000_000,
  }),
  maxBatchBytes: s.byteSize({
    doc: "Largest batch of records in one replication frame.",
    default: 1_048_576,
    min: 4_096,
    max: 268_435_456,
  }),
  peerIds: replicationPeerIds,
  tls: replicationTls,
  // ---- cluster mode (coordination.kind: etcd)
  advertise: s.hostPort({
    doc:
      "etcd cluster: the replication address followers connect to while this node leads; default listen (a wildcard listen: the peers entry with its port).",
    example: "10.0.0.1:9880",
  }),
  minInSync: s.integer({
    doc:
      "etcd cluster: fewest members (the leader included) the in-sync set may shrink to; below it the leader holds outbound messages.",
    default: 1,
    min: 1,
    max: 17,
  }),
  maxLagMs: s.duration({
    doc:
      "etcd cluster: a follower not caught up (or disconnected) this long leaves the in-sync set; it rejoins once caught up.",
    unit: "ms",
    default: 2_000,
    min: 10,
    max: 600_000,
  }),
}, { doc: "Journal replication between a primary and a secondary (or the members of a cluster)." });

// ---- cluster mode: who leads is decided by etcd (see lib/coordination)
const coordination = s.object({
  kind: s.oneOf(["static", "etcd"], {
    doc:
      "static: the pair of node.ha primary/secondary (promotion by command or autoPromoteAfterMs); etcd: N members elect their leader through etcd.",
    default: "static",
  }),
  etcd: s.object({
    endpoints: s.array(s.string({ doc: "An etcd client URL.", maxLength: 1024 }), {
      doc: "etcd client URLs (http:// or https://).",
      default: [],
      maxItems: 16,
      example: ["http://127.0.0.1:2379"],
    }),
    prefix: s.string({
      doc: "Key prefix of this cluster in etcd; default /tandem/<replication.clusterId>.",
      pattern: /^\/[\x21-\x7e]*$/,
      patternHint: "starts with /, printable ASCII",
      maxLength: 256,
      example: "/tandem/prod-eu",
    }),
    username: s.string({ doc: "etcd user; use ${ENV:NAME}.", example: "${ENV:ETCD_USER}" }),
    password: s.string({
      doc: "etcd password; use ${ENV:NAME}.",
      secret: true,
      example: "${ENV:ETCD_PASSWORD}",
    }),
    caFile: s.string({ doc: "PEM CA bundle for https endpoints.", example: "/etc/etcd/ca.pem" }),
    certFile: s.string({ doc: "PEM client certificate for etcd.", example: "/etc/etcd/me.pem" }),
    keyFile: s.string({ doc: "PEM key of certFile.", example: "/etc/etcd/me-key.pem" }),
    leaseTtlMs: s.duration({
      doc:
        "Leader lease time to live in whole seconds (etcd's unit); a hung leader is replaced about this long after its last renewal.",
      unit: "ms",
      default: 3_000,
      min: 2_000,
      max: 600_000,
    }),
    safetyMarginMs: s.duration({
      doc:
        "A leader fences itself this long before its lease could expire for others (clock drift, pauses, slow disk).",
      unit: "ms",
      default: 500,
      min: 100,
      max: 300_000,
    }),
    pollIntervalMs: s.duration({
      doc: "How often a member reads the leader and in-sync keys (and a leader revises the set).",
      unit: "ms",
      default: 100,
      min: 10,
      max: 60_000,
    }),
  }, { doc: "etcd connection (coordination.kind: etcd)." }),
}, { doc: "Who leads: a static pair, or a cluster coordinated by etcd." });

const tandemFields = {
  node: s.object({
    id: s.string({
      doc: "This node's name, in logs, metrics and replication handshakes.",
      default: "tandem",
      pattern: /^[A-Za-z0-9_.-]+$/,
      patternHint: "letters, digits, _ . -",
      maxLength: 64,
    }),
    role: s.oneOf(["acceptor", "initiator"], {
      doc: "acceptor (listens for counterparties) or initiator (connects out); --role overrides.",
      example: "acceptor",
    }),
    ha: s.oneOf(["standalone", "primary", "secondary"], {
      doc: "High availability role (acceptors): standalone, primary or secondary; --ha overrides.",
      default: "standalone",
    }),
    dataDir: s.string({
      doc: "Directory of the journal and node state; --data-dir overrides.",
      default: "data",
    }),
  }, { doc: "This node." }),
  fix: s.object({
    listen: s.hostPort({
      doc: "Acceptor: address to accept FIX connections on; --listen overrides.",
      example: "0.0.0.0:9876",
    }),
    maxConnections: s.integer({
      doc: "Most simultaneous FIX connections.",
      default: 100,
      min: 1,
      max: 100_000,
    }),
    maxMessageBytes: s.byteSize({
      doc: "Largest FIX message accepted; larger ones are garbled and dropped.",
      default: 1_048_576,
      min: 256,
      max: 268_435_456,
    }),
    maxBufferedBytesPerConnection: s.byteSize({
      doc: "Most bytes queued for one slow connection before it is disconnected.",
      default: 16_777_216,
      min: 65_536,
      max: 4_294_967_296,
    }),
    logonTimeoutS: s.duration({
      doc: "Acceptor: disconnect a connection that sends no Logon within this.",
      unit: "s",
      default: 10,
      min: 1,
      max: 3_600,
    }),
    logoutTimeoutS: s.duration({
      doc: "Wait for the Logout answer before disconnecting.",
      unit: "s",
      default: 2,
      min: 1,
      max: 3_600,
    }),
    tls,
    ...fixAdmission,
  }, { doc: "FIX transport." }),
  journal: s.object({
    syncPolicy: s.oneOf(["none", "interval", "always"], {
      doc:
        "none (page cache only), interval (fsync every syncIntervalMs) or always (group commit before acknowledging).",
      default: "always",
    }),
    syncIntervalMs: s.duration({
      doc: "interval policy: time between syncs.",
      unit: "ms",
      default: 10,
      min: 1,
      max: 60_000,
    }),
    segmentSizeBytes: s.byteSize({
      doc: "Roll to a new segment file at this size.",
      default: 67_108_864,
      min: 65_536,
      max: 17_179_869_184,
    }),
    rollDailyAt: s.timeOfDay({
      doc: "Also roll segments daily at HH:MM in timeZone (absent: by size only).",
      example: "00:00",
    }),
    timeZone: s.timeZone({ doc: "Time zone of rollDailyAt.", default: "UTC" }),
    retention: s.object({
      maxAgeDays: s.duration({
        doc: "Delete segments older than this; 0 = keep forever.",
        unit: "days",
        default: 7,
        min: 0,
        max: 36_500,
      }),
      maxTotalBytes: s.byteSize({
        doc: "Delete the oldest segments beyond this total; 0 = no limit.",
        default: 0,
        min: 0,
        max: Number.MAX_SAFE_INTEGER,
      }),
    }, {
      doc:
        "What old segments are deleted; segments a live session may need for resends are always kept.",
    }),
  }, { doc: "The persisted journal." }),
  replication,
  coordination,
  admin: s.object({
    listen: s.hostPort({
      doc: "Address of the admin HTTP API (health, status, metrics, promote); --admin overrides.",
      default: "127.0.0.1:9901",
    }),
    token: s.string({
      doc: "Bearer token for the admin API; required when not on loopback. Use ${ENV:NAME}.",
      secret: true,
      example: "${ENV:TANDEM_ADMIN_TOKEN}",
    }),
    // Operator's page (GET / on the admin address).
    peers: s.array(s.hostPort({ doc: "A peer's admin address." }), {
      doc:
        "Admin addresses of the other nodes of the pair, shown on this node's operator's page (read from their /overview with this node's admin token, so the pair shares one token).",
      default: [],
      maxItems: 16,
      example: ["10.0.0.2:9901"],
    }),
    pageRefreshMs: s.duration({
      doc: "Operator's page: interval between live updates of /events.",
      unit: "ms",
      default: 1_000,
      min: 100,
      max: 60_000,
    }),
    ...httpEdge("admin API", 65_536),
  }, { doc: "Admin HTTP API and the operator's page." }),
  api: s.object({
    listen: s.hostPort({
      doc: "Address of the application HTTP/WebSocket API; absent: disabled.",
      example: "127.0.0.1:9902",
    }),
    token: s.string({
      doc: "Bearer token for the application API; required when not on loopback.",
      secret: true,
      example: "${ENV:TANDEM_API_TOKEN}",
    }),
    ...httpEdge("application API", 1_048_576),
    maxWebSocketMessageBytes: s.byteSize({
      doc:
        "Largest message a /stream WebSocket client may send (the stream is one-way); a larger one closes the socket with 1009.",
      default: 4_096,
      min: 16,
      max: 16_777_216,
    }),
  }, { doc: "Application HTTP/WebSocket API (for sessions with application: api)." }),
  log: s.object({
    level: s.oneOf(["debug", "info", "warn", "error"], {
      doc: "Least severe level written.",
      default: "info",
    }),
    format: s.oneOf(["json", "text", "auto"], {
      doc: "json lines, text lines, or auto (text on a terminal, else json).",
      default: "auto",
    }),
    fixMessages: s.boolean({
      doc: "Log every FIX message sent and received (they are in the journal either way).",
      default: false,
    }),
    redactTags: s.array(s.integer({ doc: "A tag.", min: 1, max: 999_999 }), {
      doc: "Tags masked in logged FIX messages, besides the always-masked 554, 925, 1402 and 1404.",
      default: [],
      maxItems: 1_000,
      example: [553],
    }),
  }, { doc: "Logging (to stderr)." }),
  sessions: s.array(session, {
    doc: "The FIX sessions of this node.",
    required: true,
    minItems: 1,
    maxItems: MAX_SESSIONS,
  }),
} as const;

/** The root schema of a Tandem configuration file. */
export const tandemSchema = s.object(tandemFields, {
  doc: "Tandem configuration.",
  hints: QUICKFIX_KEY_HINTS,
}, (c, ctx) => {
  const role = c.node.role;
  if (role === undefined) {
    ctx.error(
      "node.role",
      "Missing node.role (give it in the file or with --role acceptor|initiator)",
    );
  }
  if (role === "acceptor" && c.fix.listen === undefined) {
    ctx.error("fix.listen", "An acceptor needs fix.listen (or the --listen flag)");
  }
  if (role === "initiator" && c.node.ha !== "standalone") {
    ctx.error("node.ha", `High availability (${c.node.ha}) is supported for acceptors only`);
  }
  if (c.node.ha === "primary" && c.replication.listen === undefined) {
    ctx.error("replication.listen", "A primary needs replication.listen");
  }
  const cluster = c.coordination.kind === "etcd";
  if (cluster) checkCluster(c, ctx);
  if (c.node.ha === "secondary" && !cluster && c.replication.primary === undefined) {
    ctx.error("replication.primary", "A secondary needs replication.primary");
  }
  if (c.node.ha !== "standalone" && c.replication.secret === undefined) {
    ctx.error("replication.secret", `A ${c.node.ha} needs replication.secret (use \${ENV:NAME})`);
  }
  const rtls = c.replication.tls;
  if (rtls !== undefined) {
    if (rtls.certFile === undefined || rtls.keyFile === undefined) {
      ctx.error("replication.tls", "replication.tls needs certFile and keyFile");
    }
    if (rtls.caFile === undefined) {
      ctx.error("replication.tls.caFile", "replication.tls needs caFile to verify the peers");
    }
  }
  if (c.node.ha !== "standalone" && c.replication.peerIds.length === 0) {
    // Without the list any holder of the secret could join under any id: membership is what a
    // replication handshake proves, so a replicated node must say who its members are.
    ctx.error(
      "replication.peerIds",
      `A ${c.node.ha} needs replication.peerIds: the node.id of every other member, the only ids it replicates with`,
    );
  }
  if (c.replication.peerIds.includes(c.node.id)) {
    ctx.error("replication.peerIds", `peerIds lists this node's own id "${c.node.id}"`);
  }
  const promoteMs = c.replication.autoPromoteAfterMs;
  const heartbeatMs = c.replication.heartbeatIntervalMs;
  if (promoteMs > 0 && promoteMs < AUTO_PROMOTE_MIN_HEARTBEATS * heartbeatMs) {
    ctx.error(
      "replication.autoPromoteAfterMs",
      `replication.autoPromoteAfterMs ${promoteMs} ms is less than ${AUTO_PROMOTE_MIN_HEARTBEATS} × replication.heartbeatIntervalMs (${heartbeatMs} ms): a healthy, idle secondary would promote itself between two heartbeats; use at least ${
        AUTO_PROMOTE_MIN_HEARTBEATS * heartbeatMs
      } ms`,
    );
  }
  const tls = c.fix.tls;
  if (tls !== undefined) {
    if (role === "acceptor" && (tls.certFile === undefined || tls.keyFile === undefined)) {
      ctx.error("fix.tls", "An acceptor with TLS needs certFile and keyFile");
    } else if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
      ctx.error("fix.tls", "certFile and keyFile go together");
    }
    if (tls.requireClientCert && tls.caFile === undefined) {
      ctx.error("fix.tls.requireClientCert", "requireClientCert needs caFile");
    }
    if (role === "acceptor" && !tls.requireClientCert && tls.caFile !== undefined) {
      ctx.error("fix.tls.caFile", "caFile is only used with requireClientCert: true");
    }
    if (role === "initiator") {
      ctx.warn("fix.tls", "fix.tls is for acceptors; an initiator uses sessions[].connect.tls");
    }
  }
  checkCidrs(ctx, "fix.allowedRemoteAddresses", c.fix.allowedRemoteAddresses);
  if (!isLoopbackHost(c.admin.listen.hostname) && c.admin.token === undefined) {
    ctx.error("admin.token", "The admin API listens beyond loopback, so it needs a token");
  }
  if (c.api.listen && !isLoopbackHost(c.api.listen.hostname) && c.api.token === undefined) {
    ctx.error("api.token", "The application API listens beyond loopback, so it needs a token");
  }
  const seen = new Map<string, number>();
  c.sessions.forEach((sess, i) => {
    // Acceptors find sessions by what a Logon carries, and the qualifier is not on the wire.
    const key = role === "acceptor"
      ? sessionKeyOf({ ...sess, sessionQualifier: undefined })
      : sessionKeyOf(sess);
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.error(`sessions[${i}]`, `Duplicate session ${key} (also sessions[${first}])`);
    } else seen.set(key, i);
    checkQuickFixSettings(sess, i, role, ctx);
    if (role === "initiator" && sess.connect === undefined) {
      ctx.error(`sessions[${i}].connect`, "An initiator session needs connect.addresses");
    }
    const ctls = sess.connect?.tls;
    if (ctls !== undefined && (ctls.certFile === undefined) !== (ctls.keyFile === undefined)) {
      ctx.error(`sessions[${i}].connect.tls`, "certFile and keyFile go together");
    }
    if (ctls?.serverName !== undefined && ctls.certFile !== undefined) {
      ctx.warn(
        `sessions[${i}].connect.tls.serverName`,
        "serverName is not honoured with a client certificate; the address's host is verified",
      );
    }
    if (role === "acceptor" && sess.connect !== undefined) {
      ctx.warn(`sessions[${i}].connect`, "connect is ignored by an acceptor");
    }
    if (sess.application === "api" && c.api.listen === undefined) {
      ctx.error(`sessions[${i}].application`, "application: api needs api.listen");
    }
    checkCidrs(ctx, `sessions[${i}].allowedRemoteAddresses`, sess.allowedRemoteAddresses);
  });
});

/** Cross-field checks of the QuickFIX/J-style session settings. */
function checkQuickFixSettings(
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

/** Cross-key checks of `coordination.kind: etcd` (cluster mode). */
function checkCluster(c: s.ObjectOf<typeof tandemFields>, ctx: s.RefineContext): void {
  const e = c.coordination.etcd;
  if (c.node.ha === "standalone") {
    ctx.error("node.ha", "coordination.kind etcd needs node.ha primary or secondary (a member)");
  }
  if (e.endpoints.length === 0) {
    ctx.error("coordination.etcd.endpoints", "coordination.kind etcd needs at least one endpoint");
  }
  e.endpoints.forEach((u, i) => {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(u)) {
      ctx.error(`coordination.etcd.endpoints[${i}]`, `Not an http(s)://host:port URL: ${u}`);
    }
  });
  if (e.leaseTtlMs % 1000 !== 0) {
    ctx.error(
      "coordination.etcd.leaseTtlMs",
      "etcd leases last whole seconds: use a multiple of 1000",
    );
  }
  if (e.safetyMarginMs * 2 > e.leaseTtlMs) {
    ctx.error("coordination.etcd.safetyMarginMs", "Must be at most half of leaseTtlMs");
  }
  if ((e.username === undefined) !== (e.password === undefined)) {
    ctx.error("coordination.etcd.username", "username and password go together");
  }
  if ((e.certFile === undefined) !== (e.keyFile === undefined)) {
    ctx.error("coordination.etcd.certFile", "certFile and keyFile go together");
  }
  const r = c.replication;
  if (r.listen === undefined) {
    ctx.error(
      "replication.listen",
      "A cluster member needs replication.listen (it serves while leading)",
    );
  }
  const members = new Set(r.peers.map((p) => `${p.hostname}:${p.port}`));
  if (r.listen) members.add(`${r.listen.hostname}:${r.listen.port}`);
  if (members.size < 2) {
    ctx.error(
      "replication.peers",
      "A cluster needs at least 2 members: list every member's replication address",
    );
  }
  if (r.minInSync > members.size) {
    ctx.error(
      "replication.minInSync",
      `minInSync ${r.minInSync} is more than the ${members.size} members`,
    );
  }
  if (r.primary !== undefined) {
    ctx.warn(
      "replication.primary",
      "Ignored with coordination.kind etcd: the leader comes from etcd",
    );
  }
  if (r.autoPromoteAfterMs > 0) {
    ctx.warn("replication.autoPromoteAfterMs", "Ignored with coordination.kind etcd: etcd elects");
  }
}

type RawConfig = Infer<typeof tandemSchema>;
type RawSession = Infer<typeof session>;

/**
 * One validated session of {@linkcode TandemConfig}. `timestampPrecision` and
 * `schedule.nonStop` are always filled (their defaults depend on other keys).
 */
export type SessionConfig = Omit<RawSession, "timestampPrecision" | "schedule"> & {
  timestampPrecision: 0 | 3 | 6 | 9;
  schedule: Omit<RawSession["schedule"], "nonStop"> & { nonStop: boolean };
};

/** A validated Tandem configuration, with every default filled in and the role known. */
export type TandemConfig = Omit<RawConfig, "node" | "sessions"> & {
  node: Omit<RawConfig["node"], "role"> & { role: "acceptor" | "initiator" };
  sessions: SessionConfig[];
};

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
