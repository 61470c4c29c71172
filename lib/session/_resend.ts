/**
 * Both directions of resending. Asking: a ResendRequest for a gap, optionally in chunks
 * (`resendRequestChunkSize`), the next chunk asked for once the previous one is filled.
 * Serving: a ResendRequest answered from the store, application messages resent and the rest
 * gap-filled in runs.
 *
 * Pure: no I/O, no clock.
 *
 * @module
 */

import { decodeMessage, type FixMessage } from "../fix/message.ts";
import { isAdminMsgType } from "./session_fields.ts";

/** The gap we asked the counterparty to resend. */
export interface ResendRange {
  readonly begin: number;
  readonly end: number;
  /** Last number of the chunk asked for; undefined when the request covers the whole gap. */
  readonly chunkEnd: number | undefined;
}

/** A ResendRequest to send: its BeginSeqNo and EndSeqNo (7, 16) and the range it opens. */
export interface ResendRequestPlan {
  readonly beginSeqNo: number;
  readonly endSeqNo: number;
  readonly range: ResendRange;
}

/** EndSeqNo (16) meaning "through the last message": 0 from FIX.4.2, 999999 before. */
function infinity(rank: number): number {
  return rank >= 42 ? 0 : 999999;
}

/** The ResendRequest for the gap [begin, end], the first chunk of it when `chunkSize` > 0. */
export function resendRequestFor(
  begin: number,
  end: number,
  chunkSize: number,
  rank: number,
): ResendRequestPlan {
  if (chunkSize > 0 && end - begin + 1 > chunkSize) {
    const chunkEnd = begin + chunkSize - 1;
    return { beginSeqNo: begin, endSeqNo: chunkEnd, range: { begin, end, chunkEnd } };
  }
  return {
    beginSeqNo: begin,
    endSeqNo: infinity(rank),
    range: { begin, end, chunkEnd: undefined },
  };
}

/**
 * With chunked requests, what to do once `nextTarget` moved: `"done"` when the gap is filled,
 * the next chunk's request when the current chunk is, else undefined.
 */
export function nextResendChunk(
  range: ResendRange,
  nextTarget: number,
  chunkSize: number,
  rank: number,
): ResendRequestPlan | "done" | undefined {
  if (range.chunkEnd === undefined) return undefined;
  if (nextTarget > range.end) return "done";
  if (nextTarget <= range.chunkEnd) return undefined;
  const begin = nextTarget;
  const chunkEnd = Math.min(begin + chunkSize - 1, range.end);
  const last = chunkEnd === range.end;
  return {
    beginSeqNo: begin,
    endSeqNo: last ? infinity(rank) : chunkEnd,
    range: { begin, end: range.end, chunkEnd: last ? undefined : chunkEnd },
  };
}

/** Where {@linkcode serveResend} sends what it decided. */
export interface ResendSink {
  /** A SequenceReset-GapFill numbered `beginSeqNo` with NewSeqNo `newSeqNo`. */
  gapFill(beginSeqNo: number, newSeqNo: number): void;
  /** The stored application message `stored`, numbered `seqNum`, again. */
  resend(seqNum: number, stored: FixMessage): void;
  /** Something worth a warning. */
  warn(text: string): void;
}

/**
 * Serves a resend of [begin, end]: application messages again, the rest gap-filled. With
 * `fillTo`, the last gap fill reaches it (one more gap fill when `end` was resent).
 */
export function serveResend(
  begin: number,
  end: number,
  fillTo: number,
  outbound: ((seqNum: number) => Uint8Array | undefined) | undefined,
  shouldResend: ((message: FixMessage) => boolean) | undefined,
  sink: ResendSink,
): void {
  let gapStart = 0;
  for (let seq = begin; seq <= end; seq++) {
    const bytes = outbound?.(seq);
    let resent = false;
    if (bytes !== undefined) {
      let stored: FixMessage | undefined;
      try {
        stored = decodeMessage(bytes);
      } catch {
        sink.warn(`Stored message ${seq} cannot be decoded; gap-filling it`);
      }
      if (
        stored !== undefined && !isAdminMsgType(stored.msgType) && (shouldResend?.(stored) ?? true)
      ) {
        if (gapStart !== 0) sink.gapFill(gapStart, seq);
        gapStart = 0;
        sink.resend(seq, stored);
        resent = true;
      }
    }
    if (!resent && gapStart === 0) gapStart = seq;
  }
  if (gapStart !== 0) sink.gapFill(gapStart, fillTo);
  else if (fillTo > end + 1) sink.gapFill(end + 1, fillTo);
}

/** A ResendRequest's BeginSeqNo (7) and EndSeqNo (16) as sent, or why it is rejected. */
export type ResendRequestRead =
  | { readonly begin: number; readonly end: number }
  | { readonly reason: number; readonly tag: number };

/** Reads and checks BeginSeqNo (7, at least 1) and EndSeqNo (16, at least 0) of a ResendRequest. */
export function readResendRequest(message: FixMessage): ResendRequestRead {
  const bi = message.indexOf(7);
  const ei = message.indexOf(16);
  if (bi < 0) return { reason: 1, tag: 7 };
  if (ei < 0) return { reason: 1, tag: 16 };
  const begin = message.intAt(bi);
  const end = message.intAt(ei);
  if (!(begin >= 1)) return { reason: 5, tag: 7 };
  if (!(end >= 0)) return { reason: 5, tag: 16 };
  return { begin, end };
}

/**
 * The last number a ResendRequest ending at `end` is served to: our last sent when it asks
 * for everything (0 from FIX.4.2, 999999 up to FIX.4.2) or beyond what we sent.
 */
export function servedEnd(end: number, rank: number, nextSender: number): number {
  const all = (rank >= 42 && end === 0) || (rank <= 42 && end === 999999);
  return all || end >= nextSender ? nextSender - 1 : end;
}
