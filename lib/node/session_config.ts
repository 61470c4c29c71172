/**
 * The engine's session settings from a configured session: dictionaries,
 * validation, schedule, logon checks and source allow-list (acceptor) or logon
 * fields (initiator).
 *
 * @module
 */

import type { SessionConfig, TandemConfig } from "../config/mod.ts";
import { logonChecker } from "../engine/logon_policy.ts";
import { type AcceptorSessionConfig, dictionaryValidator } from "../engine/mod.ts";
import { SessionSchedule } from "../session/schedule.ts";
import { loadDictionary } from "../fix/dictionary/mod.ts";
import type { Dictionary } from "../fix/dictionary/dictionary.ts";

const WEEKDAY_NUMBERS: Record<string, number> = {
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

/** The session settings the engine takes, from a configured session. */
export async function engineSessionConfig(
  s: SessionConfig,
  config: TandemConfig,
  readTextFile: (path: string) => Promise<string>,
): Promise<AcceptorSessionConfig> {
  const v = s.validation;
  let transport: Dictionary | undefined;
  let custom: Dictionary | undefined;
  if (s.dictionary !== undefined) {
    custom = loadDictionary(await readTextFile(s.dictionary), s.dictionary);
  }
  if (s.transportDictionary !== undefined) {
    transport = loadDictionary(await readTextFile(s.transportDictionary), s.transportDictionary);
  }
  const isFixt = s.beginString === "FIXT.1.1";
  const validate = dictionaryValidator(s.beginString, {
    options: {
      checkFieldsOutOfOrder: v.checkFieldsOutOfOrder,
      checkFieldsHaveValues: v.checkFieldsHaveValues,
      checkUserDefinedFields: v.checkUserDefinedFields,
      allowUnknownMessageFields: v.allowUnknownMessageFields,
      checkRequiredFields: v.checkRequiredFields,
    },
    ...(isFixt ? (transport ? { transport } : {}) : (custom ? { transport: custom } : {})),
    ...(isFixt && custom ? { applicationFor: () => custom } : {}),
  });
  const sch = s.schedule;
  const schedule = sch.nonStop ? undefined : new SessionSchedule({
    timeZone: sch.timeZone,
    ...(sch.startTime !== undefined ? { startTime: sch.startTime } : {}),
    ...(sch.endTime !== undefined ? { endTime: sch.endTime } : {}),
    ...(sch.days !== undefined ? { weekdays: sch.days.map((d) => WEEKDAY_NUMBERS[d]!) } : {}),
  });
  const acceptor = config.node.role === "acceptor";
  const checkLogon = acceptor
    ? logonChecker({
      username: s.logonUsername,
      password: s.logonPassword,
      minHeartbeatIntervalS: s.minHeartbeatIntervalS,
      maxHeartbeatIntervalS: s.maxHeartbeatIntervalS,
    })
    : undefined;
  const logonFields: [number, string][] = [];
  if (!acceptor && s.logonUsername !== undefined) logonFields.push([553, s.logonUsername]);
  if (!acceptor && s.logonPassword !== undefined) logonFields.push([554, s.logonPassword]);
  return {
    beginString: s.beginString,
    senderCompId: s.senderCompId,
    targetCompId: s.targetCompId,
    ...(s.senderSubId !== undefined ? { senderSubId: s.senderSubId } : {}),
    ...(s.senderLocationId !== undefined ? { senderLocationId: s.senderLocationId } : {}),
    ...(s.targetSubId !== undefined ? { targetSubId: s.targetSubId } : {}),
    ...(s.targetLocationId !== undefined ? { targetLocationId: s.targetLocationId } : {}),
    ...(s.sessionQualifier !== undefined ? { sessionQualifier: s.sessionQualifier } : {}),
    ...(logonFields.length > 0 ? { logonFields } : {}),
    ...(checkLogon ? { checkLogon } : {}),
    // Acceptor: a template's list goes with it into every session it creates (and restores).
    ...(acceptor && s.allowedRemoteAddresses !== undefined
      ? { allowedRemoteAddresses: s.allowedRemoteAddresses }
      : {}),
    heartbeatIntervalS: s.heartbeatIntervalS,
    ...(s.defaultApplVerId !== undefined ? { defaultApplVerId: s.defaultApplVerId } : {}),
    resetOnLogon: s.resetOnLogon,
    resetOnLogout: s.resetOnLogout,
    resetOnDisconnect: s.resetOnDisconnect,
    checkLatency: s.checkLatency,
    sendingTimeToleranceS: s.sendingTimeToleranceS,
    checkCompId: s.checkCompId,
    enableNextExpectedMsgSeqNum: s.useNextExpectedMsgSeqNum,
    enableLastMsgSeqNumProcessed: s.enableLastMsgSeqNumProcessed,
    rejectGarbledMessage: s.rejectGarbledMessage,
    onCounterpartyAhead: s.onCounterpartyAhead,
    logonTimeoutS: s.connect?.logonTimeoutS ?? config.fix.logonTimeoutS,
    logoutTimeoutS: config.fix.logoutTimeoutS,
    testRequestDelayMultiplier: 1 + s.testRequestDelayMultiplier,
    resendRequestChunkSize: s.resendRequestChunkSize,
    maxResendRange: s.maxResendRange,
    timestampPrecision: s.timestampPrecision,
    validate,
    ...(schedule ? { schedule } : {}),
  };
}
