/**
 * Idempotency keys for API sends: a client id recorded in the journal with
 * the outbound message, so a send retried after a timeout or a failover is
 * answered with the original `{index, msgSeqNum}` instead of being sent twice.
 *
 * **In the journal.** A send carrying a client id writes two records in one
 * synchronous stretch: first an Audit record (an existing kind, so journals
 * written before stay readable and tools that read journals need no change)
 * whose JSON text is
 *
 * ```json
 * {"event":"api-client-id","clientId":"<id>","session":"<key>","msgSeqNum":<n>}
 * ```
 *
 * with the record's session id set to the session's, then the Outbound record
 * of the message itself. The note comes first so that whatever makes the
 * message durable on a replica (acks are cumulative) makes the note durable
 * too. A note counts only when the very next record is the Outbound record
 * of its session with the MsgSeqNum it names: a note whose message never
 * reached the journal (or a replica) is no send, and a retry sends again.
 *
 * **The index.** {@linkcode ClientIdIndex} is rebuilt by reading the journal
 * (from its first retained record) and kept up to date by reading what was
 * appended since, records replicated from a previous leader included. It
 * holds at most {@linkcode DEFAULT_MAX_CLIENT_IDS} ids (oldest forgotten
 * first) and forgets ids whose records retention removed: the window in which
 * a retry is recognised is "still in the journal, and among the last 100,000
 * ids". The index is built lazily: the first send with a client id after a
 * start or a promotion reads the whole retained journal (batched, as a tail
 * does; about 1 s per 150,000 records on a development machine), later
 * sends read only what was appended since.
 *
 * @module
 */

import { decodeAudit, type JournalRecord, RecordKind } from "../journal/mod.ts";
import { ApiError } from "./server.ts";

/** Longest client id accepted, in characters. */
export const MAX_CLIENT_ID_LENGTH = 128;
/** Default for the number of client ids a {@linkcode ClientIdIndex} remembers. */
export const DEFAULT_MAX_CLIENT_IDS = 100_000;
/** `event` of the Audit note that records a client id. */
export const CLIENT_ID_EVENT = "api-client-id";
/** Header carrying the client id of a raw (`application/fix`) send. */
export const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

const PRINTABLE = /^[\x21-\x7e]+$/;

/**
 * Checks a client id: 1 to {@linkcode MAX_CLIENT_ID_LENGTH} printable ASCII
 * characters (no space, no control character). `where` names its origin in
 * the error.
 *
 * @throws {ApiError} 400 when the id is not acceptable
 */
export function checkClientId(value: unknown, where: string): string {
  if (typeof value !== "string") {
    throw new ApiError(400, `Cannot send message: ${where} must be a string`);
  }
  if (value.length === 0 || value.length > MAX_CLIENT_ID_LENGTH) {
    throw new ApiError(
      400,
      `Cannot send message: ${where} must be 1 to ${MAX_CLIENT_ID_LENGTH} characters, got ${value.length}`,
    );
  }
  if (!PRINTABLE.test(value)) {
    throw new ApiError(
      400,
      `Cannot send message: ${where} must be printable ASCII without spaces (0x21-0x7E)`,
    );
  }
  return value;
}

/** What the note records. */
export interface ClientIdNote {
  readonly clientId: string;
  readonly session: string;
  readonly msgSeqNum: number;
}

/** The Audit text of a client-id note. */
export function encodeClientIdNote(note: ClientIdNote): string {
  return JSON.stringify({
    event: CLIENT_ID_EVENT,
    clientId: note.clientId,
    session: note.session,
    msgSeqNum: note.msgSeqNum,
  });
}

/** Parses an Audit text as a client-id note; undefined for any other note. */
export function decodeClientIdNote(text: string): ClientIdNote | undefined {
  if (!text.includes(CLIENT_ID_EVENT)) return undefined;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (
      v.event === CLIENT_ID_EVENT && typeof v.clientId === "string" &&
      typeof v.session === "string" && Number.isSafeInteger(v.msgSeqNum)
    ) {
      return { clientId: v.clientId, session: v.session, msgSeqNum: v.msgSeqNum as number };
    }
  } catch {
    // another note that mentions the word
  }
  return undefined;
}

/** Where a send went: the Outbound record's journal index and its MsgSeqNum. */
export interface SentMessage {
  readonly index: number;
  readonly msgSeqNum: number;
}

/** The journal records the index reads (a subset of `Journal`). */
export interface ClientIdJournal {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Records from `fromIndex` on, in order, then waits for more (batched reads: see `Journal.tail`). */
  tail(fromIndex: number, options: { signal?: AbortSignal }): AsyncIterable<JournalRecord>;
}

/** Client id → the send it named; see the module doc. */
export class ClientIdIndex {
  readonly #max: number;
  /** Insertion order is journal order: the oldest id comes first. */
  readonly #ids = new Map<string, SentMessage>();
  /** The last record read, when it was a note: it pairs only with the next record. */
  #note: { index: number; sessionId: number; note: ClientIdNote } | undefined;
  #readThrough = 0;
  #epoch: number | undefined;
  #busy: Promise<void> = Promise.resolve();

  /** `maxIds` bounds the ids remembered (oldest forgotten first). */
  constructor(maxIds = DEFAULT_MAX_CLIENT_IDS) {
    if (!Number.isSafeInteger(maxIds) || maxIds < 1) {
      throw new RangeError(
        `Cannot create ClientIdIndex: maxIds ${maxIds} is not a positive integer`,
      );
    }
    this.#max = maxIds;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.#ids.size;
  }

  /**
   * Reads what `journal` appended since the last call, up to its last index
   * now. A new `epoch` (the node was promoted: its journal may have been
   * truncated and refilled since) or a journal shorter than what was read
   * rebuilds the index from the first retained record. Calls run one after
   * the other.
   */
  catchUp(journal: ClientIdJournal, epoch: number): Promise<void> {
    this.#busy = this.#busy.catch(() => {}).then(() => this.#catchUp(journal, epoch));
    return this.#busy;
  }

  async #catchUp(journal: ClientIdJournal, epoch: number): Promise<void> {
    if (epoch !== this.#epoch || journal.lastIndex < this.#readThrough) {
      this.#ids.clear();
      this.#note = undefined;
      this.#readThrough = 0;
      this.#epoch = epoch;
    }
    const first = journal.firstIndex;
    for (const [id, sent] of this.#ids) {
      if (sent.index >= first) break;
      this.#ids.delete(id); // retention removed its record
    }
    const target = journal.lastIndex;
    const from = Math.max(this.#readThrough + 1, first);
    if (from > target) return;
    const stop = new AbortController();
    try {
      for await (const r of journal.tail(from, { signal: stop.signal })) {
        this.observe(r);
        this.#readThrough = r.index;
        if (r.index >= target) break;
      }
    } finally {
      stop.abort();
    }
  }

  /** Takes one record, in journal order. */
  observe(r: Pick<JournalRecord, "index" | "kind" | "sessionId" | "seqNum" | "payload">): void {
    const pending = this.#note;
    this.#note = undefined;
    if (r.kind === RecordKind.Audit) {
      const note = decodeClientIdNote(decodeAudit(r.payload));
      if (note !== undefined) this.#note = { index: r.index, sessionId: r.sessionId, note };
    } else if (
      r.kind === RecordKind.Outbound && pending !== undefined && r.index === pending.index + 1 &&
      r.sessionId === pending.sessionId && r.seqNum === pending.note.msgSeqNum
    ) {
      this.#remember(pending.note.clientId, r.index, r.seqNum);
    }
  }

  /** The send `clientId` named, if it is remembered. */
  get(clientId: string): SentMessage | undefined {
    return this.#ids.get(clientId);
  }

  #remember(clientId: string, index: number, msgSeqNum: number): void {
    this.#ids.delete(clientId);
    this.#ids.set(clientId, { index, msgSeqNum });
    while (this.#ids.size > this.#max) this.#ids.delete(this.#ids.keys().next().value!);
  }
}
