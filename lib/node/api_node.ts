/**
 * The application API's side of a node, whatever its role: who leads, sends
 * that are answered only once durable and never sent twice for one client
 * id, and a stream that never shows a record the next leader could lack.
 *
 * - **Leader.** Only the member that leads sends; the others answer 503 with
 *   the leader they know from replication (see `lib/api/server.ts`).
 * - **Durable before acknowledged.** A send waits for the
 *   {@linkcode ReleaseGate} to release its message (durable on the replicas
 *   the ack strategy requires). If the node stops leading first, the gate
 *   cancels it and the send answers 503: the client retries with the same
 *   client id on the new leader, which either has the message (duplicate) or
 *   sends it.
 * - **Client ids** are recorded as described in `lib/api/idempotency.ts`;
 *   concurrent sends with one id share the first one's outcome.
 * - **Stream.** On a leader with a gate, a record is streamed only once it
 *   is committed ({@linkcode ReleaseGate.whenCommitted}); a stream that saw
 *   a gate ends with an error when that gate goes (the node stopped leading):
 *   the client resumes on the leader with its last index + 1. On a follower
 *   the stream follows the replicated tail, except in an etcd cluster: there
 *   another follower may win the next election without records this one
 *   holds beyond the leader's commit point (they are quarantined when it
 *   rejoins), so a follower answers 503 naming the leader, as for a send.
 *
 * @module
 */

import { decodeMessage } from "../fix/message.ts";
import { type Journal, RecordKind } from "../journal/mod.ts";
import type { SessionHost } from "../engine/mod.ts";
import {
  ApiError,
  type LeaderInfo,
  notLeaderError,
  type SendRequest,
  type SendResult,
  type StreamedMessage,
} from "../api/server.ts";
import { ClientIdIndex, encodeClientIdNote } from "../api/idempotency.ts";
import { ReleaseCancelledError, type ReleaseGate } from "./release_gate.ts";
import { dictionariesFor, fixToFields } from "./_fix_fields.ts";
import { decodeFixObject } from "../fix/dictionary/fix_object.ts";

const ADMIN_MSG_TYPES = new Set(["0", "1", "2", "3", "4", "5", "A"]);

/** What the API needs from the node it runs in. */
export interface ApiNodeDeps {
  readonly journal: Journal;
  /** This node's id. */
  readonly nodeId: string;
  /** Node id → API base URL of the members (`api.memberUrls`). */
  readonly memberUrls: Readonly<Record<string, string>>;
  /** Whether this node leads now (no replication: always). */
  leading(): boolean;
  /** The leader this follower last heard from by replication. */
  leaderId(): string | undefined;
  /** The current epoch (a new one after every promotion). */
  epoch(): number;
  /** The release gate while leading under replication. */
  gate(): ReleaseGate | undefined;
  /** The live session `id` (key or number); throws {@linkcode ApiError} when not served. */
  host(id: string): SessionHost;
  /** The configured DefaultApplVerID of session `key` (to decode FIXT messages). */
  defaultApplVerId(key: string): string | undefined;
  /** An etcd cluster member (`coordination.kind: etcd`): a follower refuses to stream. */
  readonly clustered?: boolean;
}

/** See the module doc. */
export class ApiSide {
  readonly #d: ApiNodeDeps;
  readonly #ids: ClientIdIndex;
  readonly #inflight = new Map<string, Promise<SendResult>>();

  constructor(deps: ApiNodeDeps, maxClientIds?: number) {
    this.#d = deps;
    this.#ids = new ClientIdIndex(maxClientIds);
  }

  /** Who leads. */
  leader(): LeaderInfo {
    const d = this.#d;
    const leading = d.leading();
    const id = leading ? d.nodeId : d.leaderId();
    return {
      nodeId: d.nodeId,
      leading,
      leader: id === undefined ? null : { nodeId: id, api: d.memberUrls[id] ?? null },
    };
  }

  /** Sends `request` on `session` once per client id; answers once durable. */
  async send(session: string, request: SendRequest): Promise<SendResult> {
    const id = request.clientId;
    if (id === undefined) return await this.#send(session, request, undefined);
    const d = this.#d;
    await this.#ids.catchUp(d.journal, d.epoch());
    // Checked after the await: a twin may have started meanwhile.
    const inflight = this.#inflight.get(id);
    if (inflight !== undefined) return { ...await inflight, duplicate: true };
    const sent = this.#ids.get(id);
    if (sent !== undefined) {
      // Journaled here, possibly not yet on the replicas (a new leader's follower catching up).
      await this.#durable(sent.index, (g) => g.whenCommitted(sent.index));
      return { index: sent.index, msgSeqNum: sent.msgSeqNum, duplicate: true };
    }
    const p = this.#send(session, request, id);
    this.#inflight.set(id, p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(id);
    }
  }

  async #send(session: string, request: SendRequest, id: string | undefined): Promise<SendResult> {
    const d = this.#d;
    const leader = this.leader();
    if (!leader.leading) {
      throw notLeaderError(leader, `Cannot send: node ${d.nodeId} no longer leads`);
    }
    const host = d.host(session);
    if (!host.isLoggedOn) {
      throw new ApiError(409, `Cannot send on ${host.key}: the session is not logged on`);
    }
    const { msgType, fields } = fixToFields(request, host.beginString, host.applVerId, host);
    if (ADMIN_MSG_TYPES.has(msgType)) {
      throw new ApiError(400, `Cannot send MsgType ${msgType}: it is a session-level message`);
    }
    // The note, then the message, in one synchronous stretch (see idempotency.ts).
    const noteIndex = id === undefined ? undefined : d.journal.audit(
      encodeClientIdNote({
        clientId: id,
        session: host.key,
        msgSeqNum: host.session.nextSenderSeqNum,
      }),
      host.sessionId,
    );
    const msgSeqNum = host.send(msgType, fields);
    const index = d.journal.lastIndex;
    if (noteIndex !== undefined && index !== noteIndex + 1) {
      throw new ApiError(
        500,
        `Cannot record client id ${id}: the message went to index ${index}, not ${noteIndex + 1}`,
      );
    }
    await this.#durable(index, (g) => g.whenReleased(index));
    return { index, msgSeqNum };
  }

  /** Waits for the gate (if any) on `index`; 503 when the node stops leading first. */
  async #durable(index: number, wait: (gate: ReleaseGate) => Promise<void>): Promise<void> {
    const gate = this.#d.gate();
    if (gate === undefined) return;
    try {
      await wait(gate);
    } catch (err) {
      if (!(err instanceof ReleaseCancelledError)) throw err;
      throw notLeaderError(
        this.leader(),
        `Cannot confirm the message at index ${index}: this node stopped leading before the replicas had it; retry with the same clientId on the leader`,
      );
    }
  }

  /** Throws a 503 naming the leader on a cluster follower; see the module doc. */
  checkStream(): void {
    if (this.#d.clustered !== true) return;
    const leader = this.leader();
    if (leader.leading) return;
    throw notLeaderError(
      leader,
      `Cannot stream: node ${leader.nodeId} follows in an etcd cluster, where a follower may ` +
        `hold records beyond the leader's commit point that a later election discards; ` +
        `stream from the leader`,
    );
  }

  /** Received application messages from `fromIndex`, gated on a leader; see the module doc. */
  async *stream(fromIndex: number, signal: AbortSignal): AsyncIterable<StreamedMessage> {
    const d = this.#d;
    this.checkStream();
    const keys = new Map(d.journal.sessions().map((s) => [s.id, s.key]));
    let seen: ReleaseGate | undefined;
    for await (const r of d.journal.tail(fromIndex, { signal })) {
      if (r.kind === RecordKind.SessionDefinition) {
        keys.set(r.sessionId, new TextDecoder().decode(r.payload));
        continue;
      }
      if (r.kind !== RecordKind.Inbound) continue;
      const m = decodeMessage(r.payload);
      if (ADMIN_MSG_TYPES.has(m.msgType)) continue;
      const gate = d.gate();
      if (seen !== undefined && gate !== seen) throw stoppedLeading(r.index);
      if (gate !== undefined) {
        seen = gate;
        try {
          if (!await abortable(gate.whenCommitted(r.index), signal)) return;
        } catch (err) {
          if (err instanceof ReleaseCancelledError) throw stoppedLeading(r.index);
          throw err;
        }
      }
      const session = keys.get(r.sessionId) ?? String(r.sessionId);
      let fields: unknown;
      try {
        fields = decodeFixObject(m, dictionariesFor(m.beginString, d.defaultApplVerId(session)))
          .body;
      } catch {
        fields = undefined; // not in the dictionary: the raw `fix` text still carries it
      }
      yield {
        index: r.index,
        epoch: r.epoch,
        session,
        msgType: m.msgType,
        msgSeqNum: r.seqNum,
        fix: m.toString(),
        ...(fields === undefined ? {} : { fields }),
      };
    }
  }
}

function stoppedLeading(index: number): Error {
  return new Error(
    `Cannot stream index ${index}: this node stopped leading; resume from ${index} on the leader`,
  );
}

/** Whether `p` resolved before `signal` aborted (false: aborted). */
function abortable(p: Promise<void>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(() => resolve(true), reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
