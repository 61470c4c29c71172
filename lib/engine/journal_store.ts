/**
 * {@linkcode SessionStore} over the journal: outbound and inbound messages,
 * sequence changes and resets become journal records, so sessions survive a
 * restart and are replicated with everything else.
 *
 * @module
 */

import { encodeLostOutbound, type Journal, type RecordInput, RecordKind } from "../journal/mod.ts";
import type { SequenceNumbers, SessionStore } from "./store.ts";

const NO_PAYLOAD = new Uint8Array(0);

/** Adapts a {@linkcode Journal} to the session runner's {@linkcode SessionStore}. */
export class JournalSessionStore implements SessionStore {
  readonly #journal: Journal;
  /**
   * The input of every message append, refilled per call: `Journal.append` keeps no
   * reference to it, so a message costs no object here. The payload is dropped after
   * the call so the store never holds on to a message's bytes.
   */
  readonly #message: RecordInput = {
    kind: RecordKind.Outbound,
    sessionId: 0,
    seqNum: 0,
    timestampMs: 0,
    payload: NO_PAYLOAD,
  };

  constructor(journal: Journal) {
    this.#journal = journal;
  }

  /** Writes the journal's staged records now (write-ahead before a socket write). */
  flush(): void {
    this.#journal.flush();
  }

  /** Defines a new session together with a SessionReset record dating its sequence numbers. */
  defineSession(key: string): number {
    const known = this.#journal.sessionId(key);
    if (known !== undefined) return known;
    const id = this.#journal.defineSession(key);
    this.#journal.resetSession(id, "session defined");
    return id;
  }

  /** The journal's current epoch: the epoch of the records appended now. */
  get epoch(): number {
    return this.#journal.epoch;
  }

  resetAtMs(sessionId: number): number | undefined {
    const info = this.#journal.sessions().find((s) => s.id === sessionId);
    if (info === undefined || info.lastResetIndex === 0) return undefined;
    return this.#journal.read(info.lastResetIndex)?.timestampMs;
  }

  sequenceNumbers(sessionId: number): SequenceNumbers {
    return this.#journal.sessionState(sessionId);
  }

  appendOutbound(sessionId: number, seqNum: number, bytes: Uint8Array, timestampMs: number) {
    return this.#appendMessage(RecordKind.Outbound, sessionId, seqNum, bytes, timestampMs);
  }

  appendInbound(sessionId: number, seqNum: number, bytes: Uint8Array, timestampMs: number) {
    return this.#appendMessage(RecordKind.Inbound, sessionId, seqNum, bytes, timestampMs);
  }

  #appendMessage(
    kind: RecordKind,
    sessionId: number,
    seqNum: number,
    bytes: Uint8Array,
    timestampMs: number,
  ): number {
    const m = this.#message;
    if (m.payload !== NO_PAYLOAD) {
      // called again from inside an append (a failure listener): the shared input is in use
      return this.#journal.append({ kind, sessionId, seqNum, timestampMs, payload: bytes });
    }
    m.kind = kind;
    m.sessionId = sessionId;
    m.seqNum = seqNum;
    m.timestampMs = timestampMs;
    m.payload = bytes;
    try {
      return this.#journal.append(m);
    } finally {
      m.payload = NO_PAYLOAD;
    }
  }

  appendSequenceChange(
    sessionId: number,
    numbers: SequenceNumbers,
    reset: boolean,
    timestampMs: number,
  ): number {
    if (reset && numbers.nextSenderSeqNum === 1 && numbers.nextTargetSeqNum === 1) {
      return this.#journal.resetSession(sessionId, "session reset", timestampMs);
    }
    return this.#journal.setSequenceNumbers(sessionId, {
      nextSenderSeqNum: numbers.nextSenderSeqNum,
      nextTargetSeqNum: numbers.nextTargetSeqNum,
      reason: reset ? "reset" : "sequence change",
    }, timestampMs);
  }

  /** Journals the range as an Audit record holding a LostOutbound note (`encodeLostOutbound`). */
  appendLostOutbound(
    sessionId: number,
    lost: { fromSeqNum: number; toSeqNum: number; source: string; policy: string },
    timestampMs: number,
  ): number {
    const session = this.#journal.sessions().find((s) => s.id === sessionId)?.key ?? "";
    return this.#journal.append({
      kind: RecordKind.Audit,
      sessionId,
      seqNum: 0,
      timestampMs,
      payload: encodeLostOutbound({ session, ...lost }),
    });
  }

  outbound(sessionId: number, seqNum: number): Uint8Array | undefined {
    return this.#journal.outbound(sessionId, seqNum)?.payload;
  }
}
