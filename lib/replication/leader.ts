/**
 * The leader side of replication: listens on the replication address and
 * feeds every authenticated follower from its journal.
 *
 * Per connection:
 *
 * 1. Hello → check version and cluster id, refuse this node's own id or
 *    nonce and ids that are not configured members ({@linkcode PeerGuard});
 *    Challenge (the leader's proof first) → Response → verify (see
 *    `auth.ts`). Nothing about the journal is revealed, and no epoch claim is
 *    believed, before the proof verifies. Refusals that matter to an operator
 *    (wrong cluster or secret, reflected or unknown peer, failed TLS
 *    handshake) are reported to `onRefused`.
 * 2. A Hello with role `leader` is another leader's probe: the lower epoch
 *    loses. A higher prober gets Close(SteppingDown) and `onPeerEpoch` tells
 *    the owner to step down; a lower one gets Close(StaleEpoch) and must step
 *    down itself; an equal one (two leaders in one epoch: a misconfiguration
 *    `node_role.ts` rules out) gets Close(ProtocolError).
 * 3. Otherwise `decideCatchUp` (see `catch_up.ts`) picks the start; a follower
 *    that saw a higher epoch makes this leader stale (`onPeerEpoch`,
 *    Close(SteppingDown)). A
 *    divergent follower first gets Truncate, then Welcome.
 * 4. Catch-up follows the journal's `tail` from the start index, in batches
 *    of whatever is already written, so batches grow with load. Once a link
 *    has sent the journal's last record it goes *live*: when the journal
 *    offers `watchWrites`, each run of records the journal writes is encoded
 *    once and put on every live link's socket synchronously, before the
 *    journal's own write to storage, so the follower's work overlaps the
 *    leader's and nothing is read back from disk (the watcher is registered
 *    only while some link is live, so a journal with no live follower decodes
 *    nothing for it). A live link that would miss
 *    a record (a gap) or has `maxQueuedBytes` waiting returns to the tail.
 *    Socket writes are awaited against `maxQueuedBytes`, so a slow follower
 *    slows only its own stream.
 * 5. Acks (cumulative highest durable index) go to `onAck`, which feeds the
 *    `AckTracker`. Heartbeats flow both ways every `heartbeatIntervalMs`; a
 *    follower silent for `heartbeatTimeoutMs` is disconnected.
 *
 * @module
 */

import { openListener, openListenerAsync } from "../transport/listen_error.ts";
import {
  listen as listenNet,
  type RejectedConnection,
  type Server,
  type TlsServerOptions,
} from "../transport/net.ts";
import type { ReplicationSecret } from "./auth.ts";
import { PeerGuard, transcriptOf } from "./auth.ts";
import { decideCatchUp, type LeaderLog } from "./catch_up.ts";
import { FrameConnection, FrameDecodeError } from "./_frame_connection.ts";
import type { ReplicationJournal, ReplicationRecord } from "./journal_port.ts";
import {
  CloseCode,
  DEFAULT_PROTOCOL_LIMITS,
  encodeFrame,
  PROTOCOL_VERSION,
  type ProtocolLimits,
  recordFrameBytes,
  type ReplicationMessage,
} from "./protocol.ts";

/** Default {@linkcode ReplicationLeaderOptions.heartbeatIntervalMs}. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Default {@linkcode ReplicationLeaderOptions.heartbeatTimeoutMs}. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 5000;
/** Default {@linkcode ReplicationLeaderOptions.handshakeTimeoutMs}. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5000;
/** Default {@linkcode ReplicationLeaderOptions.maxFollowers}. */
export const DEFAULT_MAX_FOLLOWERS = 8;
/** Default {@linkcode ReplicationLeaderOptions.maxHandshakes}. */
export const DEFAULT_MAX_HANDSHAKES = 16;
/** Default {@linkcode ReplicationLeaderOptions.maxQueuedBytes}: 4 MiB per follower. */
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;

/** Options of {@linkcode ReplicationLeader.listen}. */
export interface ReplicationLeaderOptions {
  /** The journal streamed to followers. */
  readonly journal: ReplicationJournal;
  /** Cluster id; followers from another cluster are refused. */
  readonly clusterId: string;
  /** This node's id, sent in Challenge. */
  readonly nodeId: string;
  /** The shared secret. */
  readonly secret: ReplicationSecret;
  /** Address to listen on; default 127.0.0.1. */
  readonly hostname?: string;
  /** Port to listen on; default 0 (any free port, see {@linkcode ReplicationLeader.port}). */
  readonly port?: number;
  /** Heartbeat period; default {@linkcode DEFAULT_HEARTBEAT_INTERVAL_MS}. */
  readonly heartbeatIntervalMs?: number;
  /** Drop a follower after this much silence; default {@linkcode DEFAULT_HEARTBEAT_TIMEOUT_MS}. */
  readonly heartbeatTimeoutMs?: number;
  /** Drop a connection that has not authenticated by then; default {@linkcode DEFAULT_HANDSHAKE_TIMEOUT_MS}. */
  readonly handshakeTimeoutMs?: number;
  /** Most followers streaming at once; more are refused with Close(LimitExceeded). */
  readonly maxFollowers?: number;
  /** Most connections still in the handshake; more are closed at once (counted as `too-many-handshakes`). */
  readonly maxHandshakes?: number;
  /** Most bytes queued for one follower's socket before the streamer waits. */
  readonly maxQueuedBytes?: number;
  /** Protocol limits; defaults {@linkcode DEFAULT_PROTOCOL_LIMITS}. */
  readonly limits?: Partial<ProtocolLimits>;
  /** A follower made everything up to `durableIndex` durable. */
  readonly onAck?: (followerId: string, durableIndex: number) => void;
  /**
   * Whether outbound messages wait for acks right now. Live records go to the
   * socket at once while they do (the default without this option); when
   * nothing waits, after the rest of the turn, so the counterparty's messages
   * of that turn (`ackStrategy: never`) are written first.
   */
  readonly acksAwaited?: () => boolean;
  /** An authenticated peer is at a higher epoch: the owner must step down. */
  readonly onPeerEpoch?: (epoch: number, peerId: string) => void;
  /**
   * Node ids accepted as followers and probing peers; absent or empty: any id
   * but this node's own. Ignored when `guard` is given.
   */
  readonly members?: readonly string[];
  /**
   * Identity checks shared with this node's follower and probes (so a
   * handshake of this node reflected back to its listener is recognised by
   * its nonce); default: a guard of its own from `nodeId` and `members`.
   */
  readonly guard?: PeerGuard;
  /**
   * Serve TLS (mutual with `requireClientCert`). The listener is then bound
   * asynchronously: await {@linkcode ReplicationLeader.ready} before reading
   * `port` when listening on port 0.
   */
  readonly tls?: TlsServerOptions;
  /**
   * A connection was refused for a reason an operator must see: `reason` is
   * the counter name (`peer-refused`, `authentication-failed`,
   * `wrong-cluster`, `version-mismatch`, `tls-handshake-failed`), `detail`
   * says why, `remoteAddr` is `host:port` when known.
   */
  readonly onRefused?: (reason: string, detail: string, remoteAddr: string) => void;
  /** Clock; default `Date.now`. */
  readonly clock?: () => number;
}

/** Phase of one follower connection. */
export type FollowerLinkState = "handshake" | "catching-up" | "streaming" | "closed";

/** Status of one connected follower. */
export interface FollowerLinkStatus {
  /** The follower's node id. */
  readonly nodeId: string;
  /** The follower's address, `host:port`. */
  readonly remoteAddr: string;
  /** Phase of the link. */
  readonly state: FollowerLinkState;
  /** When the connection was accepted. */
  readonly connectedAtMs: number;
  /** When the last frame from the follower arrived. */
  readonly lastHeardAtMs: number;
  /** Index streaming started at (after any truncation). */
  readonly startIndex: number;
  /** Highest index sent. */
  readonly sentIndex: number;
  /** Highest index the follower acknowledged as durable. */
  readonly ackedIndex: number;
  /** Records the follower has not yet acknowledged: leader lastIndex − ackedIndex. */
  readonly lagRecords: number;
  /** Payload bytes sent but not yet acknowledged. */
  readonly lagBytes: number;
  /** Age of the oldest record not yet acknowledged (0 when caught up). */
  readonly lagMs: number;
  /** The follower's last index from its latest heartbeat. */
  readonly reportedLastIndex: number;
  /** RecordBatch frames sent. */
  readonly batchesSent: number;
  /** The latest state change of this link, and why. */
  readonly lastTransition: LinkTransition | undefined;
}

/** One change of {@linkcode FollowerLinkState}. */
export interface LinkTransition {
  /** State before. */
  readonly from: FollowerLinkState;
  /** State after. */
  readonly to: FollowerLinkState;
  /** Why. */
  readonly reason: string;
  /** When. */
  readonly atMs: number;
}

/** Snapshot from {@linkcode ReplicationLeader.status}. */
export interface LeaderStatus {
  /** This node's id. */
  readonly nodeId: string;
  /** The journal's epoch. */
  readonly epoch: number;
  /** The journal's last index. */
  readonly lastIndex: number;
  /** The port listened on. */
  readonly port: number;
  /** Every connected follower. */
  readonly followers: readonly FollowerLinkStatus[];
  /** Connections refused, by reason (e.g. `authentication-failed`). */
  readonly refused: Readonly<Record<string, number>>;
  /** The last unexpected error that ended a follower connection. */
  readonly lastError: string | undefined;
}

class ClosedByUs extends Error {}

/** The listening socket, TCP or TLS. */
interface Listener {
  readonly port: number;
  accept(): Promise<Deno.Conn>;
  close(): Promise<void>;
}

function tcpListener(l: Deno.TcpListener): Listener {
  return {
    port: l.addr.port,
    accept: async () => {
      const conn = await l.accept();
      conn.setNoDelay(true);
      return conn;
    },
    close: () => {
      try {
        l.close();
      } catch {
        // already closed
      }
      return Promise.resolve();
    },
  };
}

function serverListener(s: Server): Listener {
  return { port: s.addr.port, accept: () => s.accept(), close: () => s.close() };
}

interface Link {
  readonly conn: FrameConnection;
  nodeId: string;
  state: FollowerLinkState;
  readonly connectedAtMs: number;
  lastHeardAtMs: number;
  startIndex: number;
  sentIndex: number;
  ackedIndex: number;
  /**
   * Highest index reported to `onAck` from this connection. Apart from
   * `ackedIndex`, which starts at what the follower already holds: holding is
   * not acknowledging, so its first ack must still reach `onAck`.
   */
  notifiedIndex: number;
  reportedLastIndex: number;
  /** (index, cumulative payload bytes sent up to it), one entry per batch, for lagBytes. */
  inFlight: { index: number; cumulativeBytes: number }[];
  sentBytes: number;
  ackedBytes: number;
  batchesSent: number;
  lastTransition: LinkTransition | undefined;
  closeReason: string | undefined;
  readonly abort: AbortController;
  /** Set while the link is live (fed by the journal's write watcher); ends live mode. */
  leaveLive: (() => void) | undefined;
}

/** One RecordBatch frame cut from a run of written records. */
interface EncodedBatch {
  readonly frame: Uint8Array;
  readonly lastIndex: number;
  readonly payloadBytes: number;
}

/** Serves followers; see the module documentation. */
export class ReplicationLeader implements AsyncDisposable {
  readonly #options: ReplicationLeaderOptions;
  #listener: Listener | undefined;
  readonly #ready: Promise<void>;
  readonly #guard: PeerGuard;
  readonly #limits: ProtocolLimits;
  readonly #clock: () => number;
  readonly #links = new Set<Link>();
  /** Links fed by the journal's write watcher (see the module doc, step 4). */
  readonly #live = new Set<Link>();
  /** Stops the journal's write watcher; set only while a link is live, so idle writes cost nothing. */
  #unwatch: (() => void) | undefined;
  readonly #watcher = (records: readonly ReplicationRecord[]): void => this.#onWritten(records);
  /** Connections still in the handshake (not yet in #links). */
  readonly #pending = new Set<FrameConnection>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #refused: Record<string, number> = {};
  #accepting: Promise<void>;
  #handshakes = 0;
  #lastError: string | undefined;
  #closed = false;

  private constructor(
    options: ReplicationLeaderOptions,
    listener: Listener | Promise<Listener>,
  ) {
    this.#options = options;
    this.#guard = options.guard ??
      new PeerGuard({
        nodeId: options.nodeId,
        ...(options.members ? { members: options.members } : {}),
      });
    this.#limits = { ...DEFAULT_PROTOCOL_LIMITS, ...options.limits };
    this.#clock = options.clock ?? Date.now;
    if (listener instanceof Promise) {
      this.#ready = listener.then((l) => {
        if (this.#closed) return void l.close();
        this.#listener = l;
      });
      this.#ready.catch((e: unknown) => {
        this.#lastError = `Cannot listen for replication: ${
          e instanceof Error ? e.message : String(e)
        }`;
      });
    } else {
      this.#listener = listener;
      this.#ready = Promise.resolve();
    }
    this.#accepting = this.#ready.then(() => this.#acceptLoop(), () => {});
  }

  /**
   * Starts listening and serving followers. Plain TCP binds before this
   * returns (and throws when it cannot); TLS binds asynchronously (see
   * {@linkcode ready}).
   */
  static listen(options: ReplicationLeaderOptions): ReplicationLeader {
    const hostname = options.hostname ?? "127.0.0.1";
    const port = options.port ?? 0;
    const tls = options.tls;
    if (tls !== undefined) {
      // Set once the constructor ran; rejections only come after a connection arrived.
      const ref: { leader?: ReplicationLeader } = {};
      const onRejected = (r: RejectedConnection) => {
        if (ref.leader) ref.leader.#refuse("tls-handshake-failed");
        options.onRefused?.(
          "tls-handshake-failed",
          r.reason,
          r.remote ? `${r.remote.host}:${r.remote.port}` : "?",
        );
      };
      ref.leader = new ReplicationLeader(
        options,
        openListenerAsync(
          "replication",
          hostname,
          port,
          () => listenNet({ host: hostname, port, tls, onRejected }),
        ).then(serverListener),
      );
      return ref.leader;
    }
    return new ReplicationLeader(
      options,
      tcpListener(
        openListener(
          "replication",
          hostname,
          port,
          () => Deno.listen({ hostname, port, transport: "tcp" }),
        ),
      ),
    );
  }

  /** Resolves once the listener is bound; rejects when it cannot be (TLS material, address in use). */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The port listened on (the configured one until a TLS listener is bound). */
  get port(): number {
    return this.#listener?.port ?? this.#options.port ?? 0;
  }

  /** A snapshot of the leader and every follower link. */
  status(): LeaderStatus {
    const j = this.#options.journal;
    const now = this.#clock();
    const followers: FollowerLinkStatus[] = [];
    for (const l of this.#links) {
      const oldest = l.ackedIndex < j.lastIndex ? j.read(l.ackedIndex + 1) : undefined;
      followers.push({
        nodeId: l.nodeId,
        remoteAddr: l.conn.remoteAddr,
        state: l.state,
        connectedAtMs: l.connectedAtMs,
        lastHeardAtMs: l.lastHeardAtMs,
        startIndex: l.startIndex,
        sentIndex: l.sentIndex,
        ackedIndex: l.ackedIndex,
        lagRecords: Math.max(0, j.lastIndex - l.ackedIndex),
        lagBytes: l.sentBytes - l.ackedBytes,
        lagMs: oldest ? Math.max(0, now - oldest.timestampMs) : 0,
        reportedLastIndex: l.reportedLastIndex,
        batchesSent: l.batchesSent,
        lastTransition: l.lastTransition,
      });
    }
    return {
      nodeId: this.#options.nodeId,
      epoch: j.epoch,
      lastIndex: j.lastIndex,
      port: this.port,
      followers,
      refused: { ...this.#refused },
      lastError: this.#lastError,
    };
  }

  async #acceptLoop(): Promise<void> {
    const listener = this.#listener;
    if (listener === undefined) return;
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.#closed) {
        conn.close();
        return;
      }
      if (this.#handshakes >= (this.#options.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) {
        this.#refuse("too-many-handshakes");
        conn.close();
        continue;
      }
      const task = this.#serve(conn).catch((e: unknown) => {
        this.#lastError = e instanceof Error ? e.message : String(e);
      });
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  #refuse(reason: string): void {
    this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
  }

  async #serve(tcp: Deno.Conn): Promise<void> {
    const o = this.#options;
    const now = this.#clock();
    const link: Link = {
      conn: new FrameConnection(tcp, this.#limits),
      nodeId: "?",
      state: "handshake",
      connectedAtMs: now,
      lastHeardAtMs: now,
      startIndex: 0,
      sentIndex: 0,
      ackedIndex: 0,
      notifiedIndex: 0,
      reportedLastIndex: 0,
      inFlight: [],
      sentBytes: 0,
      ackedBytes: 0,
      batchesSent: 0,
      lastTransition: undefined,
      closeReason: undefined,
      abort: new AbortController(),
      leaveLive: undefined,
    };
    const conn = link.conn;
    this.#pending.add(conn);
    const interval = o.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const timeout = o.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    const handshakeDeadline = now + (o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS);
    const timer = setInterval(() => {
      const t = this.#clock();
      if (link.state === "handshake" && t >= handshakeDeadline) {
        this.#refuse("handshake-timeout");
        link.closeReason = "handshake timed out";
        void conn.closeWith({
          type: "close",
          code: CloseCode.Timeout,
          reason: "handshake timed out",
        });
      } else if (t - link.lastHeardAtMs >= timeout) {
        link.closeReason = `nothing heard for ${t - link.lastHeardAtMs} ms`;
        void conn.closeWith({
          type: "close",
          code: CloseCode.Timeout,
          reason: `nothing heard for ${t - link.lastHeardAtMs} ms`,
        });
      } else if (link.state !== "handshake") {
        conn.send({ type: "heartbeat", lastIndex: o.journal.lastIndex, timestampMs: t });
      }
    }, Math.min(interval, o.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS));
    const close = async (code: CloseCode, reason: string, refusal?: string): Promise<never> => {
      if (refusal) this.#refuse(refusal);
      link.closeReason = reason;
      await conn.closeWith({ type: "close", code, reason });
      throw new ClosedByUs(reason);
    };
    /** A refusal an operator must see: counted, reported to onRefused, then closed. */
    const refuse = (code: CloseCode, reason: string, refusal: string): Promise<never> => {
      o.onRefused?.(refusal, reason, conn.remoteAddr);
      return close(code, reason, refusal);
    };
    const guard = this.#guard;
    let leaderNonce: Uint8Array | undefined;
    const expect = async <T extends ReplicationMessage["type"]>(
      type: T,
    ): Promise<Extract<ReplicationMessage, { type: T }>> => {
      const m = await conn.receive();
      if (m === undefined) throw new ClosedByUs("peer closed");
      link.lastHeardAtMs = this.#clock();
      if (m.type === "close") throw new ClosedByUs(`peer closed: ${m.reason}`);
      if (m.type !== type) {
        return close(CloseCode.ProtocolError, `expected ${type}, got ${m.type}`, "protocol-error");
      }
      return m as Extract<ReplicationMessage, { type: T }>;
    };
    this.#handshakes++;
    let handshaking = true;
    const handshakeDone = () => {
      if (handshaking) this.#handshakes--;
      handshaking = false;
      this.#pending.delete(conn);
    };
    try {
      const hello = await expect("hello");
      if (hello.protocolVersion !== PROTOCOL_VERSION) {
        await refuse(
          CloseCode.VersionMismatch,
          `protocol version ${hello.protocolVersion} is not ${PROTOCOL_VERSION}`,
          "version-mismatch",
        );
      }
      if (hello.clusterId !== o.clusterId) {
        await refuse(
          CloseCode.WrongCluster,
          `cluster "${hello.clusterId}" is not "${o.clusterId}"`,
          "wrong-cluster",
        );
      }
      // Before any proof is made: our own id or nonce coming back is a reflection.
      const peerRefusal = guard.refusePeer(hello.nodeId) ?? guard.refuseNonce(hello.nonce);
      if (peerRefusal !== undefined) {
        await refuse(CloseCode.PeerRefused, peerRefusal, "peer-refused");
      }
      leaderNonce = guard.issueNonce();
      const transcript = transcriptOf(hello, o.nodeId, leaderNonce);
      conn.send({
        type: "challenge",
        nodeId: o.nodeId,
        nonce: leaderNonce,
        proof: await o.secret.prove("listener", transcript),
      });
      const response = await expect("response");
      const ok = await o.secret.verify("dialer", transcript, response.proof);
      if (!ok) {
        await refuse(
          CloseCode.AuthenticationFailed,
          `proof of ${hello.nodeId} does not verify: wrong secret, or a relayed handshake`,
          "authentication-failed",
        );
      }
      guard.release(leaderNonce);
      leaderNonce = undefined;
      handshakeDone();
      link.nodeId = hello.nodeId;
      const epoch = o.journal.epoch;
      if (hello.role === "leader") {
        if (hello.nodeEpoch > epoch) {
          o.onPeerEpoch?.(hello.nodeEpoch, hello.nodeId);
          await close(
            CloseCode.SteppingDown,
            `this leader is at epoch ${epoch}, below ${hello.nodeEpoch}: stepping down`,
            "peer-leader-higher",
          );
        }
        await close(
          hello.nodeEpoch === epoch ? CloseCode.ProtocolError : CloseCode.StaleEpoch,
          hello.nodeEpoch === epoch
            ? `two leaders at epoch ${epoch}`
            : `you are at epoch ${hello.nodeEpoch}, below this leader's ${epoch}`,
          "peer-leader-lower",
        );
      }
      const decision = decideCatchUp(this.#leaderLog(), hello);
      if (decision.kind === "refuse") {
        if (decision.leaderIsStale) {
          o.onPeerEpoch?.(Math.max(hello.nodeEpoch, hello.lastEpoch), hello.nodeId);
          await close(CloseCode.SteppingDown, decision.reason, "leader-stale");
        }
        await close(decision.code, decision.reason, "cannot-serve");
        return;
      }
      const maxFollowers = o.maxFollowers ?? DEFAULT_MAX_FOLLOWERS;
      let streaming = 0;
      for (const l of this.#links) if (l.state !== "closed") streaming++;
      if (streaming >= maxFollowers) {
        await close(
          CloseCode.LimitExceeded,
          `already serving ${streaming} followers (maxFollowers ${maxFollowers})`,
          "too-many-followers",
        );
      }
      if (decision.kind === "truncate") {
        conn.send({ type: "truncate", leaderEpoch: epoch, afterIndex: decision.afterIndex });
      }
      link.startIndex = decision.startIndex;
      link.sentIndex = decision.startIndex - 1;
      link.ackedIndex = decision.kind === "truncate" ? decision.afterIndex : hello.lastIndex;
      this.#setLinkState(
        link,
        "catching-up",
        `authenticated; streaming from ${decision.startIndex}`,
      );
      this.#links.add(link);
      conn.send({
        type: "welcome",
        leaderEpoch: epoch,
        leaderLastIndex: o.journal.lastIndex,
        startIndex: decision.startIndex,
      });
      const reader = this.#readLoop(link);
      if (decision.startIndex > o.journal.lastIndex) {
        this.#setLinkState(link, "streaming", "follower is up to date");
      }
      try {
        await this.#stream(link);
      } finally {
        link.abort.abort();
        conn.close();
        await reader;
      }
    } catch (e) {
      if (e instanceof FrameDecodeError) {
        this.#refuse("undecodable");
        await conn.closeWith({ type: "close", code: CloseCode.ProtocolError, reason: e.message });
      } else if (!(e instanceof ClosedByUs)) {
        throw e;
      }
    } finally {
      if (leaderNonce !== undefined) guard.release(leaderNonce);
      handshakeDone();
      clearInterval(timer);
      this.#setLinkState(link, "closed", link.closeReason ?? "connection ended");
      link.abort.abort();
      conn.close();
      await conn.flush();
      this.#links.delete(link);
    }
  }

  /** The one door for link state changes: records from, to and why. */
  #setLinkState(link: Link, to: FollowerLinkState, reason: string): void {
    if (link.state === to) return;
    link.lastTransition = { from: link.state, to, reason, atMs: this.#clock() };
    link.state = to;
  }

  #leaderLog(): LeaderLog {
    const j = this.#options.journal;
    return {
      epoch: j.epoch,
      lastIndex: j.lastIndex,
      firstIndex: j.firstIndex ?? 1,
      epochAt: (index) => {
        const r = j.read(index);
        if (r === undefined) throw new RangeError(`Cannot read journal index ${index}: missing`);
        return r.epoch;
      },
    };
  }

  async #readLoop(link: Link): Promise<void> {
    const o = this.#options;
    try {
      for (;;) {
        const m = await link.conn.receive();
        if (m === undefined) break;
        link.lastHeardAtMs = this.#clock();
        switch (m.type) {
          case "ack": {
            const acked = Math.min(m.durableIndex, link.sentIndex);
            if (acked > link.ackedIndex) {
              link.ackedIndex = acked;
              while (link.inFlight.length > 0 && link.inFlight[0]!.index <= link.ackedIndex) {
                link.ackedBytes = link.inFlight.shift()!.cumulativeBytes;
              }
            }
            if (acked > link.notifiedIndex) {
              link.notifiedIndex = acked;
              o.onAck?.(link.nodeId, acked);
            }
            break;
          }
          case "heartbeat":
            link.reportedLastIndex = m.lastIndex;
            break;
          case "close":
            link.closeReason = `follower closed: ${m.reason}`;
            link.conn.close();
            return;
          case "hello":
          case "challenge":
          case "response":
          case "welcome":
          case "truncate":
          case "records":
            link.closeReason = `unexpected ${m.type} while streaming`;
            await link.conn.closeWith({
              type: "close",
              code: CloseCode.ProtocolError,
              reason: `unexpected ${m.type} while streaming`,
            });
            return;
          default: {
            const never: never = m;
            throw new TypeError(`Unknown message ${String(never)}`);
          }
        }
      }
    } catch (e) {
      if (e instanceof FrameDecodeError) {
        link.closeReason = e.message;
        await link.conn.closeWith({
          type: "close",
          code: CloseCode.ProtocolError,
          reason: e.message,
        });
      } else {
        throw e;
      }
    } finally {
      link.abort.abort();
    }
  }

  #sendBatch(link: Link, batch: ReplicationRecord[], payloadBytes: number): void {
    link.conn.send({ type: "records", records: batch });
    this.#sent(link, batch[batch.length - 1]!.index, payloadBytes);
  }

  #sent(link: Link, lastIndex: number, payloadBytes: number): void {
    link.sentIndex = lastIndex;
    link.sentBytes += payloadBytes;
    link.batchesSent++;
    link.inFlight.push({ index: lastIndex, cumulativeBytes: link.sentBytes });
  }

  /**
   * Makes `link` live when the journal can feed it (see the module doc):
   * returns a promise that resolves when it stops being live (a gap, a full
   * queue, or the link ending), or `undefined` when live streaming is not
   * available.
   */
  #enterLive(link: Link): Promise<void> | undefined {
    const j = this.#options.journal;
    if (j.watchWrites === undefined || this.#closed) return undefined;
    this.#unwatch ??= j.watchWrites(this.#watcher);
    const { promise, resolve } = Promise.withResolvers<void>();
    const signal = link.abort.signal;
    const leave = () => {
      signal.removeEventListener("abort", leave);
      this.#live.delete(link);
      link.leaveLive = undefined;
      if (this.#live.size === 0) this.#stopWatching();
      resolve();
    };
    link.leaveLive = leave;
    signal.addEventListener("abort", leave);
    this.#live.add(link);
    if (signal.aborted) leave();
    return promise;
  }

  /** Unregisters the journal's write watcher (the journal then builds no records for it). */
  #stopWatching(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }

  /** The journal's write watcher: every live link gets the records now, encoded once. */
  #onWritten(records: readonly ReplicationRecord[]): void {
    if (this.#live.size === 0 || records.length === 0) return;
    const maxQueued = this.#options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    const first = records[0]!.index;
    let batches: EncodedBatch[] | undefined;
    const now = this.#options.acksAwaited?.() ?? true;
    for (const link of this.#live) {
      if (link.sentIndex + 1 !== first || link.conn.closed || link.conn.queuedBytes >= maxQueued) {
        link.leaveLive?.(); // back to the tail, which reads what this link lacks
        continue;
      }
      try {
        batches ??= this.#encodeBatches(records);
      } catch {
        // A record the protocol cannot carry: the tail meets it again and ends the link, saying why.
        link.leaveLive?.();
        continue;
      }
      for (const b of batches) {
        link.conn.sendFrame(b.frame, now);
        this.#sent(link, b.lastIndex, b.payloadBytes);
      }
    }
  }

  /** Cuts `records` into RecordBatch frames within the protocol limits (payloads are copied). */
  #encodeBatches(records: readonly ReplicationRecord[]): EncodedBatch[] {
    const l = this.#limits;
    const out: EncodedBatch[] = [];
    let from = 0;
    let payloadBytes = 0;
    const cut = (to: number) => {
      const batch = records.slice(from, to);
      out.push({
        frame: encodeFrame({ type: "records", records: batch }, l),
        lastIndex: batch[batch.length - 1]!.index,
        payloadBytes,
      });
      from = to;
      payloadBytes = 0;
    };
    for (let i = 0; i < records.length; i++) {
      const size = payloadBytes + records[i]!.payload.length;
      const count = i - from;
      if (
        count > 0 &&
        (count >= l.maxBatchRecords || size > l.maxBatchBytes ||
          recordFrameBytes(count + 1, size) > l.maxFrameBytes)
      ) {
        cut(i);
      }
      payloadBytes += records[i]!.payload.length;
    }
    cut(records.length);
    return out;
  }

  /**
   * Streams to `link` until it ends: follows the tail until the link has the
   * journal's last record, then stays live while the journal's write watcher
   * feeds it, and returns to the tail when it stops being live.
   */
  async #stream(link: Link): Promise<void> {
    const signal = link.abort.signal;
    const maxQueued = this.#options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    while (!signal.aborted && !link.conn.closed) {
      const live = await this.#tailUntilLive(link);
      if (live === undefined) return;
      await live.ended;
      await link.conn.whenBelow(maxQueued);
    }
  }

  /**
   * Follows the journal's tail from the link's next index. Records accumulate
   * into a batch that is sent when a limit would be crossed or when the record
   * just read is the journal's last (nothing more to add without waiting);
   * then the link goes live if it can (the promise of {@linkcode #enterLive} is
   * returned, wrapped: an async function would wait for it) or keeps following
   * the tail. Returns `undefined` when the link ends.
   */
  async #tailUntilLive(link: Link): Promise<{ ended: Promise<void> } | undefined> {
    const j = this.#options.journal;
    const l = this.#limits;
    const maxQueued = this.#options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES;
    const signal = link.abort.signal;
    let batch: ReplicationRecord[] = [];
    let payloadBytes = 0;
    try {
      for await (const r of j.tail(link.sentIndex + 1, { signal })) {
        if (signal.aborted || link.conn.closed) break;
        const expected = link.sentIndex + batch.length + 1;
        if (r.index < expected) continue;
        if (r.index !== expected) {
          throw new RangeError(
            `Cannot stream index ${r.index}: expected ${expected} from the journal tail`,
          );
        }
        const size = payloadBytes + r.payload.length;
        if (
          batch.length > 0 &&
          (batch.length >= l.maxBatchRecords || size > l.maxBatchBytes ||
            recordFrameBytes(batch.length + 1, size) > l.maxFrameBytes)
        ) {
          this.#sendBatch(link, batch, payloadBytes);
          batch = [];
          payloadBytes = 0;
          await link.conn.whenBelow(maxQueued);
        }
        batch.push(r);
        payloadBytes += r.payload.length;
        if (r.index >= j.lastIndex) {
          this.#sendBatch(link, batch, payloadBytes);
          batch = [];
          payloadBytes = 0;
          if (link.state === "catching-up") {
            this.#setLinkState(link, "streaming", `caught up at ${link.sentIndex}`);
          }
          // Everything appended so far is sent: from here the write watcher can feed the link.
          if (link.sentIndex === j.lastIndex && link.conn.queuedBytes < maxQueued) {
            const ended = this.#enterLive(link);
            if (ended !== undefined) return { ended };
          }
          await link.conn.whenBelow(maxQueued);
        }
      }
    } catch (e) {
      if (!signal.aborted && !link.conn.closed) throw e;
    }
    return undefined;
  }

  /** Stops listening, closes every follower connection and waits for them. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching();
    await this.#ready.catch(() => {});
    await this.#listener?.close();
    await this.#accepting;
    for (const c of this.#pending) c.close();
    for (const l of this.#links) {
      l.abort.abort();
      l.conn.send({ type: "close", code: CloseCode.Normal, reason: "leader shutting down" });
      await l.conn.flush();
      l.conn.close();
    }
    while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
  }
}
