/**
 * FIX data dictionaries: the standard versions built in, custom ones loaded from QuickFIX-format
 * XML, validation of decoded messages yielding SessionRejectReason (373) codes in QuickFIX's
 * order, and structured (JSON-like) messages with repeating groups as arrays.
 *
 * ```ts
 * import { decodeMessage } from "../message.ts";
 * import {
 *   builtinDictionary,
 *   decodeFixObject,
 *   encodeFixObject,
 *   validateMessage,
 * } from "./mod.ts";
 *
 * const fix44 = builtinDictionary("FIX.4.4");
 * const bytes = encodeFixObject(fix44, {
 *   msgType: "D",
 *   header: { SenderCompID: "CLIENT", TargetCompID: "ISLD", MsgSeqNum: 2,
 *     SendingTime: "20261124-10:00:00.000" },
 *   body: { ClOrdID: "A1", Side: "1", Symbol: "IBM", OrdType: "1",
 *     TransactTime: "20261124-10:00:00", NoPartyIDs: [{ PartyID: "X", PartyRole: 3 }] },
 * });
 * const msg = decodeMessage(bytes, { lengthTags: fix44.lengthTags });
 * validateMessage(msg, { transport: fix44 }); // undefined: valid
 * decodeFixObject(msg, fix44).body.NoPartyIDs; // [{ PartyID: "X", PartyRole: "3" }]
 * ```
 *
 * For FIXT.1.1 sessions pass `{ transport: builtinDictionary("FIXT.1.1"), application:
 * builtinDictionary("FIX.5.0SP2") }`: the transport dictionary checks header, trailer and admin
 * messages; application messages use the dictionary of their ApplVerID (1128), else the default.
 * Decode FIXT messages with `combinedLengthTags(transport, application)`.
 *
 * @module
 */

export {
  combinedLengthTags,
  Dictionary,
  type EnumCheck,
  type FieldDef,
  type FieldMember,
  GroupDef,
  type GroupMember,
  Layout,
  type MemberDef,
  MessageDef,
} from "./dictionary.ts";
export { DictionaryError, type DictionarySpec, type FieldSpec, type MemberSpec } from "./_spec.ts";
export { loadDictionary, type LoadDictionaryOptions } from "./load_dictionary.ts";
export {
  applVerIdToVersion,
  BUILTIN_DICTIONARY_NAMES,
  builtinDictionary,
  type BuiltinDictionaryName,
  isBuiltinDictionaryName,
  versionToApplVerId,
} from "./builtin_dictionary.ts";
export {
  applicationDictionary,
  type BoundValidator,
  createMessageValidator,
  DEFAULT_VALIDATION_OPTIONS,
  SESSION_REJECT_REASON_TEXT,
  SessionRejectReason,
  USER_DEFINED_TAG_MIN,
  validateMessage,
  type ValidationDictionaries,
  type ValidationIssue,
  type ValidationOptions,
} from "./validate_message.ts";
export {
  type DecodedFixObject,
  decodeFixObject,
  type DecodeFixObjectOptions,
  encodeFixObject,
  type FixObject,
  FixObjectError,
  type FixObjectInput,
  type FixObjectMessage,
  type FixObjectValue,
  writeFixObject,
  type WriteFixObjectOptions,
} from "./fix_object.ts";
export { DEFAULT_MAX_DICTIONARY_XML_BYTES, MAX_DICTIONARY_TAG } from "./_spec.ts";
