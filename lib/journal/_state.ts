/**
 * The journal's materialised state: sessions, their sequence numbers, the
 * resend index, the current epoch and application cursors. Built by applying
 * records in index order, on append and on open.
 *
 * @module
 */

import {
  decodeAppCursor,
  decodeEpochChange,
  decodeSequenceChange,
  decodeSessionDefinition,
} from "./payloads.ts";
import { RecordKind } from "./record.ts";
import type { SessionInfo } from "./journal_options.ts";

/** One session as the journal knows it. */
export interface SessionEntry {
  id: number;
  key: string;
  nextSenderSeqNum: number;
  nextTargetSeqNum: number;
  /** Index of the last SessionReset record of the session (0 if never reset). */
  lastResetIndex: number;
  /** Resend index: `resend[seqNum]` is the index of the Outbound record with that seqNum. */
  resend: number[];
}

/** Serialisable state (no resend index): the content of a snapshot. */
export interface StateSnapshot {
  throughIndex: number;
  epoch: number;
  sessions: { id: number; key: string; next: [number, number]; lastResetIndex: number }[];
  appCursors: [string, number][];
}

/** Mutable materialised state. */
export class JournalState {
  readonly byKey = new Map<string, number>();
  readonly byId: (SessionEntry | undefined)[] = [];
  readonly appCursors = new Map<string, number>();
  epoch = 0;
  readonly keepResendIndex: boolean;

  constructor(keepResendIndex: boolean) {
    this.keepResendIndex = keepResendIndex;
  }

  /** Every defined session with its next sequence numbers and last reset (`Journal.sessions`). */
  sessionInfos(): SessionInfo[] {
    return this.byId.filter((s): s is SessionEntry => s !== undefined).map((s) => ({
      id: s.id,
      key: s.key,
      nextSenderSeqNum: s.nextSenderSeqNum,
      nextTargetSeqNum: s.nextTargetSeqNum,
      lastResetIndex: s.lastResetIndex,
    }));
  }

  /** The session with `id`, creating a placeholder if a record names an unknown one. */
  session(id: number): SessionEntry {
    let s = this.byId[id];
    if (s === undefined) {
      s = {
        id,
        key: `#${id}`,
        nextSenderSeqNum: 1,
        nextTargetSeqNum: 1,
        lastResetIndex: 0,
        resend: [],
      };
      this.byId[id] = s;
    }
    return s;
  }

  /** Applies one record. `payload` is only consulted for the kinds that carry state. */
  apply(
    kind: number,
    sessionId: number,
    seqNum: number,
    index: number,
    epoch: number,
    payload: Uint8Array,
  ): void {
    switch (kind) {
      case RecordKind.Outbound: {
        const s = this.session(sessionId);
        s.nextSenderSeqNum = seqNum + 1;
        if (this.keepResendIndex) s.resend[seqNum] = index;
        break;
      }
      case RecordKind.Inbound:
        this.session(sessionId).nextTargetSeqNum = seqNum + 1;
        break;
      case RecordKind.SessionDefinition: {
        const key = decodeSessionDefinition(payload);
        const s = this.session(sessionId);
        if (s.key !== key) this.byKey.delete(s.key);
        s.key = key;
        this.byKey.set(key, sessionId);
        break;
      }
      case RecordKind.SequenceChange: {
        const change = decodeSequenceChange(payload);
        const s = this.session(sessionId);
        s.nextSenderSeqNum = change.nextSenderSeqNum;
        s.nextTargetSeqNum = change.nextTargetSeqNum;
        break;
      }
      case RecordKind.SessionReset: {
        const s = this.session(sessionId);
        s.nextSenderSeqNum = 1;
        s.nextTargetSeqNum = 1;
        s.lastResetIndex = index;
        s.resend = [];
        break;
      }
      case RecordKind.EpochChange:
        this.epoch = Math.max(this.epoch, decodeEpochChange(payload).epoch, epoch);
        break;
      case RecordKind.AppCursor: {
        const cursor = decodeAppCursor(payload);
        this.appCursors.set(cursor.name, cursor.index);
        break;
      }
      case RecordKind.Audit:
        break;
    }
    if (epoch > this.epoch) this.epoch = epoch;
  }

  /** The serialisable part of the state, as of `throughIndex`. */
  snapshot(throughIndex: number): StateSnapshot {
    const sessions: StateSnapshot["sessions"] = [];
    for (const s of this.byId) {
      if (s === undefined) continue;
      sessions.push({
        id: s.id,
        key: s.key,
        next: [s.nextSenderSeqNum, s.nextTargetSeqNum],
        lastResetIndex: s.lastResetIndex,
      });
    }
    return { throughIndex, epoch: this.epoch, sessions, appCursors: [...this.appCursors] };
  }

  /** Loads a snapshot into this (empty) state. */
  load(snapshot: StateSnapshot): void {
    this.epoch = snapshot.epoch;
    for (const s of snapshot.sessions) {
      const entry = this.session(s.id);
      entry.key = s.key;
      entry.nextSenderSeqNum = s.next[0];
      entry.nextTargetSeqNum = s.next[1];
      entry.lastResetIndex = s.lastResetIndex;
      this.byKey.set(s.key, s.id);
    }
    for (const [name, index] of snapshot.appCursors) this.appCursors.set(name, index);
  }
}
