/**
 * Named tag numbers of the standard header, trailer and session-level
 * messages, so session code reads `Tag.MsgSeqNum` rather than `34`.
 *
 * @module
 */

/** Tag numbers of session-level fields (FIX 4.0–5.0SP2, FIXT 1.1). */
export const Tag = {
  BeginSeqNo: 7,
  BeginString: 8,
  BodyLength: 9,
  CheckSum: 10,
  EndSeqNo: 16,
  MsgSeqNum: 34,
  MsgType: 35,
  NewSeqNo: 36,
  PossDupFlag: 43,
  RefSeqNum: 45,
  SenderCompID: 49,
  SenderSubID: 50,
  SendingTime: 52,
  TargetCompID: 56,
  TargetSubID: 57,
  Text: 58,
  Signature: 89,
  SecureDataLen: 90,
  SecureData: 91,
  SignatureLength: 93,
  RawDataLength: 95,
  RawData: 96,
  PossResend: 97,
  EncryptMethod: 98,
  HeartBtInt: 108,
  TestReqID: 112,
  OnBehalfOfCompID: 115,
  OnBehalfOfSubID: 116,
  OrigSendingTime: 122,
  GapFillFlag: 123,
  DeliverToCompID: 128,
  DeliverToSubID: 129,
  ResetSeqNumFlag: 141,
  SenderLocationID: 142,
  TargetLocationID: 143,
  OnBehalfOfLocationID: 144,
  DeliverToLocationID: 145,
  XmlDataLen: 212,
  XmlData: 213,
  MessageEncoding: 347,
  EncodedTextLen: 354,
  EncodedText: 355,
  LastMsgSeqNumProcessed: 369,
  RefTagID: 371,
  RefMsgType: 372,
  SessionRejectReason: 373,
  BusinessRejectRefID: 379,
  BusinessRejectReason: 380,
  MaxMessageSize: 383,
  TestMessageIndicator: 464,
  Username: 553,
  Password: 554,
  NextExpectedMsgSeqNum: 789,
  ApplVerID: 1128,
  CstmApplVerID: 1129,
  DefaultApplVerID: 1137,
  ApplExtID: 1156,
  SessionStatus: 1409,
} as const;

/** Session-level (admin) MsgType (35) values. */
export const AdminMsgType = {
  Heartbeat: "0",
  TestRequest: "1",
  ResendRequest: "2",
  Reject: "3",
  SequenceReset: "4",
  Logout: "5",
  Logon: "A",
} as const;

/**
 * ApplVerID (1128) / DefaultApplVerID (1137) codes by version name. The one
 * table the session, the dictionaries and the configuration all read.
 */
export const ApplVerId = {
  "FIX.2.7": "0",
  "FIX.3.0": "1",
  "FIX.4.0": "2",
  "FIX.4.1": "3",
  "FIX.4.2": "4",
  "FIX.4.3": "5",
  "FIX.4.4": "6",
  "FIX.5.0": "7",
  "FIX.5.0SP1": "8",
  "FIX.5.0SP2": "9",
} as const;
