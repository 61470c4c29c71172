/**
 * Where a session's actions collect while it handles one event, and how its outbound messages
 * are written: the standard header (MsgSeqNum, CompIDs, SendingTime, sub/location IDs,
 * LastMsgSeqNumProcessed), new messages, gap fills and resends. One encoder serves them all.
 *
 * Pure: no I/O, no clock (the time of the event is set by the session).
 *
 * @module
 */

import { MessageEncoder } from "../fix/encoder.ts";
import type { FixMessage } from "../fix/message.ts";
import type { Liveness } from "./_liveness.ts";
import { resendBytes, writeTimestamp } from "./_outbound.ts";
import type { SessionAction } from "./session_action.ts";
import type { Field, SessionConfig } from "./session_config.ts";
import { identityHeader } from "./session_id.ts";

/**
 * Most emptied action arrays an outbox keeps for reuse: one per level of nesting (an
 * application that sends while handling a delivery) is all a host needs.
 */
export const MAX_SPARE_ACTION_ARRAYS = 8;

/** A session's outbound side and its pending actions. */
export class Outbox {
  /** The time of the event being handled (set by the session on every entry). */
  nowMs = 0;
  #actions: SessionAction[] = [];
  /** Emptied action arrays handed back by the caller, reused by {@linkcode Outbox.flush}. */
  readonly #spare: SessionAction[][] = [];
  readonly #c: SessionConfig;
  readonly #encoder: MessageEncoder;
  readonly #precision: 0 | 3 | 6 | 9;
  readonly #live: Liveness;
  readonly #logPrefix: string;
  /** Sub/location IDs written in every header, and their tags. */
  readonly #idHeader: readonly Field[];
  readonly #idTags: ReadonlySet<number>;
  /** LastMsgSeqNumProcessed (369) goes on every outbound message (config and version, once). */
  readonly #put369: boolean;

  /** `rank` is the version's (44 for FIX.4.4); `live` learns when we last sent; `key` prefixes logs. */
  constructor(config: SessionConfig, rank: number, live: Liveness, key: string) {
    this.#c = config;
    this.#encoder = new MessageEncoder(config.beginString);
    this.#precision = config.timestampPrecision ?? (rank <= 41 ? 0 : 3);
    this.#live = live;
    this.#logPrefix = `${key}: `;
    this.#idHeader = identityHeader(config);
    this.#idTags = new Set(this.#idHeader.map(([tag]) => tag));
    this.#put369 = (config.enableLastMsgSeqNumProcessed ?? false) && rank >= 42;
  }

  /** Adds an action. */
  push(action: SessionAction): void {
    this.#actions.push(action);
  }

  /** Adds a log line, prefixed with the session key. */
  log(level: "info" | "warn", text: string): void {
    this.#actions.push({ type: "log", level, text: this.#logPrefix + text });
  }

  /** The actions collected since the last flush, in order. */
  flush(): SessionAction[] {
    const out = this.#actions;
    this.#actions = this.#spare.pop() ?? [];
    return out;
  }

  /**
   * Takes back an array {@linkcode Outbox.flush} returned, once its actions are carried out, to
   * return it again, emptied, from a later flush. Arrays already held are ignored.
   */
  release(actions: SessionAction[]): void {
    const spare = this.#spare;
    if (actions === this.#actions || spare.length >= MAX_SPARE_ACTION_ARRAYS) return;
    for (let i = 0; i < spare.length; i++) if (spare[i] === actions) return;
    // emptied by pop, which keeps the capacity (`length = 0` would drop it)
    while (actions.length > 0) actions.pop();
    spare.push(actions);
  }

  /**
   * Begins a message with the standard header and the caller's `header` fields; `lastTarget`
   * is the last inbound MsgSeqNum accepted (for LastMsgSeqNumProcessed).
   */
  header(
    msgType: string,
    seqNum: number,
    header: readonly Field[],
    lastTarget: number,
  ): MessageEncoder {
    const e = this.#encoder;
    e.begin(msgType);
    e.field(34, seqNum);
    e.field(49, this.#c.senderCompId);
    writeTimestamp(e, 52, this.nowMs, this.#precision);
    e.field(56, this.#c.targetCompId);
    const ids = this.#idHeader;
    for (let i = 0; i < ids.length; i++) e.field(ids[i]![0], ids[i]![1]);
    if (this.#put369) {
      let own = false;
      for (let i = 0; i < header.length; i++) if (header[i]![0] === 369) own = true;
      if (!own) e.field(369, lastTarget);
    }
    // a caller's own sub/location IDs are dropped for ours; no set lookups when none are set
    const skip = ids.length === 0 ? undefined : this.#idTags;
    for (const [tag, value] of header) {
      if (skip === undefined || !skip.has(tag)) e.field(tag, value);
    }
    return e;
  }

  /** Sends a message numbered `seqNum` (persisted; transmitted when `transmit`). */
  sendNew(
    msgType: string,
    seqNum: number,
    header: readonly Field[],
    body: readonly Field[],
    transmit: boolean,
    lastTarget: number,
  ): void {
    const e = this.header(msgType, seqNum, header, lastTarget);
    for (const [tag, value] of body) e.field(tag, value);
    const bytes = e.finish();
    if (transmit) this.#live.lastSentAtMs = this.nowMs;
    this.#actions.push({ type: "send", msgType, seqNum, bytes, persist: true, transmit });
  }

  /** Sends a SequenceReset-GapFill numbered `beginSeqNo` to `newSeqNo` (not persisted). */
  gapFill(beginSeqNo: number, newSeqNo: number, lastTarget: number): void {
    const e = this.header("4", beginSeqNo, [[43, "Y"]], lastTarget);
    writeTimestamp(e, 122, this.nowMs, this.#precision);
    e.field(123, "Y");
    e.field(36, newSeqNo);
    this.#transmitOnly("4", beginSeqNo, e.finish());
  }

  /** Sends a stored application message again (PossDupFlag=Y, not persisted again). */
  resend(seqNum: number, stored: FixMessage): void {
    const bytes = resendBytes(this.#encoder, stored, this.nowMs, this.#precision);
    this.#transmitOnly(stored.msgType, seqNum, bytes);
  }

  /** Sends bytes that are not persisted (resends, gap fills, refusals). */
  #transmitOnly(msgType: string, seqNum: number, bytes: Uint8Array): void {
    this.#live.lastSentAtMs = this.nowMs;
    this.#actions.push({ type: "send", msgType, seqNum, bytes, persist: false, transmit: true });
  }
}
