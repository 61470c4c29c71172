/**
 * The follower side of replication: connects to the leader's replication
 * address, authenticates, truncates a divergent suffix into quarantine when
 * told to, appends the leader's records at the same indices, and acknowledges
 * the highest index its own journal has made durable.
 *
 * - Each RecordBatch is written at once (`flush`, when the journal has it);
 *   a batch that the write alone made durable (sync policy `none`) is acked in
 *   the same turn. Otherwise one `durable()` wait is in flight at a time; when
 *   it resolves the follower acks that index and, if more records arrived
 *   meanwhile, starts the next wait, so acks are cumulative and never one per
 *   record.
 * - Heartbeats go out every `heartbeatIntervalMs`; a leader silent for
 *   `heartbeatTimeoutMs` is dropped and the follower reconnects.
 * - Reconnects back off exponentially from `reconnectDelayMs` to
 *   `reconnectDelayMsMax` (reset after a Welcome). A restarted follower
 *   resumes from its journal's last index: Hello carries it.
 * - `onLeaderContact` is called for every frame from an authenticated leader;
 *   wire it to `NodeRole.onLeaderContact` so auto-promotion measures the
 *   silence of the link.
 *
 * {@linkcode probePeer} is the same handshake with role `leader`: a leader
 * dials its peers with it so that, when a partition heals, the node at the
 * lower epoch learns it must step down.
 *
 * Both refuse a Challenge that carries this node's own id or one of its
 * nonces (its own handshake reflected back to it), or the id of a node that
 * is not a configured member, before they make a proof; and they take no
 * Truncate, Welcome, epoch or verdict from a peer whose proof (bound to both
 * node ids, see `auth.ts`) did not verify.
 *
 * @module
 */

import { DEFAULT_CONNECT_TIMEOUT_MS } from "../transport/connector.ts";
import { connect, type TlsClientOptions } from "../transport/net.ts";
import { PeerGuard, type ReplicationSecret, transcriptOf } from "./auth.ts";
import { FrameConnection, FrameDecodeError } from "./_frame_connection.ts";
import type { ReplicationJournal } from "./journal_port.ts";
import {
  CloseCode,
  DEFAULT_PROTOCOL_LIMITS,
  PROTOCOL_VERSION,
  type ProtocolLimits,
  type ReplicationMessage,
} from "./protocol.ts";
import { DEFAULT_HEARTBEAT_INTERVAL_MS, DEFAULT_HEARTBEAT_TIMEOUT_MS } from "./leader.ts";

/** Default {@linkcode ReplicationFollowerOptions.reconnectDelayMs}. */
export const DEFAULT_RECONNECT_DELAY_MS = 100;
/** Default {@linkcode ReplicationFollowerOptions.reconnectDelayMsMax}. */
export const DEFAULT_RECONNECT_DELAY_MS_MAX = 5000;

/** Where the leader listens. */
export interface PeerAddress {
  /** Host name or IP address. */
  readonly hostname: string;
  /** TCP port. */
  readonly port: number;
}

/** Options of {@linkcode ReplicationFollower.start}. */
export interface ReplicationFollowerOptions {
  /** This node's journal, appended to with the leader's records. */
  readonly journal: ReplicationJournal;
  /** Cluster id; must match the leader's. */
  readonly clusterId: string;
  /** This node's id, shown in the leader's status. */
  readonly nodeId: string;
  /** The shared secret. */
  readonly secret: ReplicationSecret;
  /**
   * The leader's replication address, or several candidates tried in turn
   * (the next one after every failed attempt; the one that worked is kept).
   */
  readonly leader: PeerAddress | readonly PeerAddress[];
  /**
   * Directory receiving quarantine files of truncated records (relative paths
   * are relative to the journal's directory); default: the journal's directory.
   */
  readonly quarantineDir?: string;
  /** First reconnect delay; default {@linkcode DEFAULT_RECONNECT_DELAY_MS}. */
  readonly reconnectDelayMs?: number;
  /** TCP connect timeout to a leader; default {@linkcode DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Largest reconnect delay; default {@linkcode DEFAULT_RECONNECT_DELAY_MS_MAX}. */
  readonly reconnectDelayMsMax?: number;
  /** Heartbeat period; default 1000 ms. */
  readonly heartbeatIntervalMs?: number;
  /** Drop the leader after this much silence; default 5000 ms. */
  readonly heartbeatTimeoutMs?: number;
  /** Protocol limits; defaults {@linkcode DEFAULT_PROTOCOL_LIMITS}. */
  readonly limits?: Partial<ProtocolLimits>;
  /** Every frame from the authenticated leader. */
  readonly onLeaderContact?: (leaderId: string, leaderEpoch: number, nowMs: number) => void;
  /** The leader closed the connection or refused us, with its reason (we keep retrying). */
  readonly onClose?: (code: CloseCode, reason: string) => void;
  /** A connection attempt or session ended; `reason` says why (also in `status().lastError`). */
  readonly onSessionEnd?: (reason: string) => void;
  /** Records after `afterIndex` were moved to `quarantinePath`. */
  readonly onTruncate?: (afterIndex: number, quarantinePath: string) => void;
  /** Node ids accepted as leader; absent or empty: any id but this node's own. Ignored with `guard`. */
  readonly members?: readonly string[];
  /** Identity checks shared with this node's listener and probes (see `ReplicationLeaderOptions.guard`). */
  readonly guard?: PeerGuard;
  /** Connect with TLS (presenting `cert`/`key` to a leader that requires a client certificate). */
  readonly tls?: TlsClientOptions;
  /**
   * The handshake was refused, by us (`peer-refused`, `authentication-failed`)
   * or by the leader (its Close code name), with why and the leader's address.
   */
  readonly onRefused?: (reason: string, detail: string, remoteAddr: string) => void;
  /** Clock; default `Date.now`. */
  readonly clock?: () => number;
  /**
   * Caps what is acknowledged: given the last appended index, the highest
   * index that may be acknowledged once durable (e.g. never inside an
   * application's unfinished run of records). Default: no cap.
   */
  readonly ackLimit?: (lastIndex: number) => number;
}

/** Phase of the follower. */
export type FollowerState = "connecting" | "handshake" | "streaming" | "backoff" | "stopped";

/** One change of {@linkcode FollowerState}. */
export interface FollowerTransition {
  /** State before. */
  readonly from: FollowerState;
  /** State after. */
  readonly to: FollowerState;
  /** Why. */
  readonly reason: string;
  /** When. */
  readonly atMs: number;
}

/** How many state transitions {@linkcode FollowerStatus.transitions} keeps. */
export const MAX_STATE_TRANSITIONS_KEPT = 20;

/** Snapshot from {@linkcode ReplicationFollower.status}. */
export interface FollowerStatus {
  /** This node's id. */
  readonly nodeId: string;
  /** Current phase. */
  readonly state: FollowerState;
  /** Node id of the leader of the latest session. */
  readonly leaderId: string | undefined;
  /** Epoch of that leader. */
  readonly leaderEpoch: number | undefined;
  /** Last index in this node's journal. */
  readonly lastIndex: number;
  /** Highest index acknowledged to the leader. */
  readonly ackedIndex: number;
  /** The leader's last index from its latest heartbeat or Welcome. */
  readonly leaderLastIndex: number;
  /** Records behind the leader, as of its latest heartbeat. */
  readonly lagRecords: number;
  /** Age of this node's last record relative to now (0 when caught up with the leader). */
  readonly lagMs: number;
  /** When the last frame from the leader arrived. */
  readonly lastHeardAtMs: number | undefined;
  /** Successful handshakes so far. */
  readonly sessions: number;
  /** Index the latest session started streaming at. */
  readonly lastStartIndex: number | undefined;
  /** The leader's latest Close, if any. */
  readonly lastClose: { readonly code: CloseCode; readonly reason: string } | undefined;
  /** Why the latest attempt or session ended, if it did. */
  readonly lastError: string | undefined;
  /** Every truncation into quarantine since start. */
  readonly truncations: readonly { readonly afterIndex: number; readonly quarantinePath: string }[];
  /** Records appended from the leader since start. */
  readonly recordsReceived: number;
  /** Payload bytes appended from the leader since start. */
  readonly bytesReceived: number;
  /** Recent state transitions, oldest first. */
  readonly transitions: readonly FollowerTransition[];
}

class SessionEnd extends Error {}

/** Follows a leader until disposed; see the module documentation. */
export class ReplicationFollower implements AsyncDisposable {
  readonly #o: ReplicationFollowerOptions;
  readonly #guard: PeerGuard;
  readonly #limits: ProtocolLimits;
  readonly #clock: () => number;
  readonly #stop = new AbortController();
  #state: FollowerState = "stopped";
  readonly #transitions: FollowerTransition[] = [];
  #conn: FrameConnection | undefined;
  #leaderId: string | undefined;
  #leaderEpoch: number | undefined;
  #leaderLastIndex = 0;
  #ackedIndex = 0;
  #lastHeardAtMs: number | undefined;
  #sessions = 0;
  #lastStartIndex: number | undefined;
  #lastClose: { code: CloseCode; reason: string } | undefined;
  #lastError: string | undefined;
  readonly #truncations: { afterIndex: number; quarantinePath: string }[] = [];
  #recordsReceived = 0;
  #bytesReceived = 0;
  #durableInFlight: Promise<void> | undefined;
  readonly #addresses: readonly PeerAddress[];
  #addressIndex = 0;
  #backoffTimer: ReturnType<typeof setTimeout> | undefined;
  #backoffWake: (() => void) | undefined;
  readonly #running: Promise<void>;

  private constructor(options: ReplicationFollowerOptions) {
    this.#o = options;
    this.#guard = guardOf(options);
    this.#limits = { ...DEFAULT_PROTOCOL_LIMITS, ...options.limits };
    this.#clock = options.clock ?? Date.now;
    this.#addresses = Array.isArray(options.leader)
      ? options.leader
      : [options.leader as PeerAddress];
    if (this.#addresses.length === 0) {
      throw new RangeError("Cannot start ReplicationFollower: no leader address given");
    }
    this.#running = this.#run();
  }

  /** Starts following; returns at once. */
  static start(options: ReplicationFollowerOptions): ReplicationFollower {
    return new ReplicationFollower(options);
  }

  /** A snapshot of the follower. */
  status(): FollowerStatus {
    const j = this.#o.journal;
    const now = this.#clock();
    const last = j.lastIndex > 0 ? j.read(j.lastIndex) : undefined;
    const behind = this.#leaderLastIndex > j.lastIndex;
    return {
      nodeId: this.#o.nodeId,
      state: this.#state,
      leaderId: this.#leaderId,
      leaderEpoch: this.#leaderEpoch,
      lastIndex: j.lastIndex,
      ackedIndex: this.#ackedIndex,
      leaderLastIndex: this.#leaderLastIndex,
      lagRecords: Math.max(0, this.#leaderLastIndex - j.lastIndex),
      lagMs: behind && last ? Math.max(0, now - last.timestampMs) : 0,
      lastHeardAtMs: this.#lastHeardAtMs,
      sessions: this.#sessions,
      lastStartIndex: this.#lastStartIndex,
      lastClose: this.#lastClose,
      lastError: this.#lastError,
      truncations: [...this.#truncations],
      recordsReceived: this.#recordsReceived,
      bytesReceived: this.#bytesReceived,
      transitions: [...this.#transitions],
    };
  }

  async #run(): Promise<void> {
    const o = this.#o;
    const base = o.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    const max = o.reconnectDelayMsMax ?? DEFAULT_RECONNECT_DELAY_MS_MAX;
    let delay = base;
    while (!this.#stop.signal.aborted) {
      this.#setState("connecting", `connecting to ${this.#addressLabel()}`);
      let welcomed = false;
      this.#lastError = undefined;
      try {
        welcomed = await this.#session(() => {
          welcomed = true;
          delay = base;
        });
      } catch (e) {
        this.#lastError = e instanceof Error ? e.message : String(e);
      }
      if (this.#stop.signal.aborted) break;
      if (!welcomed) this.#addressIndex = (this.#addressIndex + 1) % this.#addresses.length;
      o.onSessionEnd?.(this.#lastError ?? "connection closed");
      this.#setState("backoff", this.#lastError ?? "connection closed");
      await this.#sleep(welcomed ? base : delay);
      if (!welcomed) delay = Math.min(max, delay * 2);
    }
    this.#setState("stopped", "disposed");
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#backoffWake = resolve;
      this.#backoffTimer = setTimeout(() => {
        this.#backoffTimer = undefined;
        this.#backoffWake = undefined;
        resolve();
      }, ms);
    });
  }

  /** One connection: handshake, then stream until it ends. Returns whether it got a Welcome. */
  async #session(onWelcome: () => void): Promise<boolean> {
    const o = this.#o;
    const j = o.journal;
    const address = this.#addresses[this.#addressIndex % this.#addresses.length];
    if (address === undefined) throw new SessionEnd("no leader address to connect to");
    const tcp = await connect({
      host: address.hostname,
      port: address.port,
      timeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      signal: this.#stop.signal,
      ...(o.tls ? { tls: o.tls } : {}),
    });
    const conn = new FrameConnection(tcp, this.#limits);
    this.#conn = conn;
    if (this.#stop.signal.aborted) {
      conn.close();
      return false;
    }
    this.#setState("handshake", "connected");
    const interval = o.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    const timeout = o.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
    let lastHeard = this.#clock();
    let welcomed = false;
    const timer = setInterval(() => {
      const t = this.#clock();
      if (t - lastHeard >= timeout) {
        this.#lastError = `leader silent for ${t - lastHeard} ms`;
        void conn.closeWith({
          type: "close",
          code: CloseCode.Timeout,
          reason: `nothing heard for ${t - lastHeard} ms`,
        });
      } else if (welcomed) {
        conn.send({ type: "heartbeat", lastIndex: j.lastIndex, timestampMs: t });
      }
    }, interval);
    const heard = (m: ReplicationMessage) => {
      lastHeard = this.#clock();
      this.#lastHeardAtMs = lastHeard;
      if (m.type === "close") {
        this.#lastClose = { code: m.code, reason: m.reason };
        o.onClose?.(m.code, m.reason);
        throw new SessionEnd(`leader closed: ${m.reason}`);
      }
    };
    const fail = async (code: CloseCode, reason: string): Promise<never> => {
      this.#lastError = reason;
      await conn.closeWith({ type: "close", code, reason });
      throw new SessionEnd(reason);
    };
    const guard = this.#guard;
    const followerNonce = guard.issueNonce();
    try {
      const lastIndex = j.lastIndex;
      const hello = {
        type: "hello",
        protocolVersion: PROTOCOL_VERSION,
        role: "follower",
        clusterId: o.clusterId,
        nodeId: o.nodeId,
        lastIndex,
        lastEpoch: lastIndex > 0 ? (j.read(lastIndex)?.epoch ?? 0) : 0,
        nodeEpoch: j.epoch,
        nonce: followerNonce,
      } as const;
      conn.send(hello);
      let m = await conn.receive();
      if (m === undefined) throw new SessionEnd("leader closed the connection");
      if (m.type === "close" && isRefusal(m.code)) {
        o.onRefused?.(closeCodeName(m.code), `leader refused us: ${m.reason}`, conn.remoteAddr);
      }
      heard(m);
      if (m.type !== "challenge") {
        return await fail(CloseCode.ProtocolError, `expected challenge, got ${m.type}`);
      }
      const challenge = m;
      const peerRefusal = guard.refusePeer(challenge.nodeId) ?? guard.refuseNonce(challenge.nonce);
      if (peerRefusal !== undefined) {
        o.onRefused?.("peer-refused", peerRefusal, conn.remoteAddr);
        return await fail(CloseCode.PeerRefused, peerRefusal);
      }
      const transcript = transcriptOf(hello, challenge.nodeId, challenge.nonce);
      const leaderOk = await o.secret.verify("listener", transcript, challenge.proof);
      if (!leaderOk) {
        const why =
          `leader ${challenge.nodeId} proof does not verify: wrong secret, or a relayed handshake`;
        o.onRefused?.("authentication-failed", why, conn.remoteAddr);
        return await fail(CloseCode.AuthenticationFailed, why);
      }
      conn.send({ type: "response", proof: await o.secret.prove("dialer", transcript) });
      // Optional Truncate, then Welcome.
      m = await conn.receive();
      if (m === undefined) throw new SessionEnd("leader closed the connection");
      if (m.type === "close" && isRefusal(m.code)) {
        o.onRefused?.(closeCodeName(m.code), `leader refused us: ${m.reason}`, conn.remoteAddr);
      }
      heard(m);
      if (m.type === "truncate") {
        if (m.afterIndex >= j.lastIndex) {
          return await fail(
            CloseCode.ProtocolError,
            `truncate after ${m.afterIndex} but this journal ends at ${j.lastIndex}`,
          );
        }
        if (m.leaderEpoch < j.epoch) {
          return await fail(
            CloseCode.StaleEpoch,
            `leader epoch ${m.leaderEpoch} is below this node's ${j.epoch}`,
          );
        }
        const name =
          `quarantine-after-${m.afterIndex}-epoch-${m.leaderEpoch}-${this.#clock()}.tndm`;
        const path = o.quarantineDir === undefined ? name : `${o.quarantineDir}/${name}`;
        await j.truncateAfter(m.afterIndex, path);
        this.#truncations.push({ afterIndex: m.afterIndex, quarantinePath: path });
        o.onTruncate?.(m.afterIndex, path);
        m = await conn.receive();
        if (m === undefined) throw new SessionEnd("leader closed the connection");
        heard(m);
      }
      if (m.type !== "welcome") {
        return await fail(CloseCode.ProtocolError, `expected welcome, got ${m.type}`);
      }
      if (m.leaderEpoch < j.epoch) {
        return await fail(
          CloseCode.StaleEpoch,
          `leader epoch ${m.leaderEpoch} is below this node's ${j.epoch}`,
        );
      }
      if (m.startIndex !== j.lastIndex + 1) {
        return await fail(
          CloseCode.ProtocolError,
          `welcome starts at ${m.startIndex} but this journal ends at ${j.lastIndex}`,
        );
      }
      welcomed = true;
      onWelcome();
      this.#sessions++;
      this.#lastStartIndex = m.startIndex;
      this.#leaderId = challenge.nodeId;
      this.#leaderEpoch = m.leaderEpoch;
      this.#leaderLastIndex = m.leaderLastIndex;
      // Acks belong to a connection: a new leader (or a new link) has heard none of them.
      this.#ackedIndex = 0;
      this.#setState("streaming", `welcomed by ${challenge.nodeId} at epoch ${m.leaderEpoch}`);
      o.onLeaderContact?.(challenge.nodeId, m.leaderEpoch, lastHeard);
      // Whatever we hold is the leader's too; ack it once durable so the leader knows.
      if (j.lastIndex > 0) this.#scheduleAck(conn);
      for (;;) {
        m = await conn.receive();
        if (m === undefined) break;
        heard(m);
        o.onLeaderContact?.(challenge.nodeId, this.#leaderEpoch, lastHeard);
        switch (m.type) {
          case "records": {
            for (const r of m.records) {
              if (r.index !== j.lastIndex + 1) {
                return await fail(
                  CloseCode.ProtocolError,
                  `record ${r.index} does not follow this journal's last index ${j.lastIndex}`,
                );
              }
              try {
                j.appendReplicated(r);
              } catch (e) {
                if (!(e instanceof RangeError)) throw e;
                return await fail(CloseCode.ProtocolError, e.message);
              }
              this.#recordsReceived++;
              this.#bytesReceived += r.payload.length;
            }
            const last = m.records[m.records.length - 1];
            if (last && last.index > this.#leaderLastIndex) this.#leaderLastIndex = last.index;
            if (last && last.epoch > (this.#leaderEpoch ?? 0)) this.#leaderEpoch = last.epoch;
            // Write the batch now, not at the end of the turn: the leader waits on its ack.
            if (j.flush !== undefined && !this.#flushed(conn)) break;
            this.#scheduleAck(conn);
            break;
          }
          case "heartbeat":
            this.#leaderLastIndex = Math.max(this.#leaderLastIndex, m.lastIndex);
            break;
          case "close":
            break; // handled by heard()
          case "hello":
          case "challenge":
          case "response":
          case "welcome":
          case "truncate":
          case "ack":
            return await fail(CloseCode.ProtocolError, `unexpected ${m.type} while streaming`);
          default: {
            const never: never = m;
            throw new TypeError(`Unknown message ${String(never)}`);
          }
        }
      }
      return true;
    } catch (e) {
      if (e instanceof FrameDecodeError) {
        this.#lastError = e.message;
        await conn.closeWith({ type: "close", code: CloseCode.ProtocolError, reason: e.message });
      } else if (e instanceof SessionEnd) {
        this.#lastError ??= e.message;
      } else {
        throw e;
      }
      return welcomed;
    } finally {
      guard.release(followerNonce);
      clearInterval(timer);
      conn.close();
      await conn.flush();
      while (this.#durableInFlight) await this.#durableInFlight;
      this.#conn = undefined;
    }
  }

  /** The one door for state changes: records from, to and why. */
  #setState(to: FollowerState, reason: string): void {
    if (to === this.#state) return;
    this.#transitions.push({ from: this.#state, to, reason, atMs: this.#clock() });
    if (this.#transitions.length > MAX_STATE_TRANSITIONS_KEPT) this.#transitions.shift();
    this.#state = to;
  }

  #addressLabel(): string {
    const a = this.#addresses[this.#addressIndex % this.#addresses.length];
    return a === undefined ? "nowhere" : `${a.hostname}:${a.port}`;
  }

  /** Flushes the journal; on a write failure ends the session (like a failed sync) and returns false. */
  #flushed(conn: FrameConnection): boolean {
    try {
      this.#o.journal.flush?.();
      return true;
    } catch (e) {
      this.#lastError = `journal write failed: ${e instanceof Error ? e.message : String(e)}`;
      conn.close();
      return false;
    }
  }

  /**
   * Acknowledges everything appended (up to `ackLimit`) once durable: at once
   * when the journal already counts it durable (its write made it so, sync
   * policy `none`), else when `durable()` resolves, one wait at a time.
   */
  #scheduleAck(conn: FrameConnection): void {
    if (this.#durableInFlight) return;
    const j = this.#o.journal;
    const target = this.#o.ackLimit
      ? Math.min(j.lastIndex, this.#o.ackLimit(j.lastIndex))
      : j.lastIndex;
    if (target <= this.#ackedIndex) return;
    const durableIndex = j.durableIndex;
    if (durableIndex !== undefined && durableIndex >= target) {
      this.#ack(conn, target);
      return;
    }
    this.#durableInFlight = j.durable(target).then(
      () => {
        this.#durableInFlight = undefined;
        if (conn.closed) return;
        this.#ack(conn, target);
        if (j.lastIndex > target) this.#scheduleAck(conn);
      },
      (e: unknown) => {
        this.#durableInFlight = undefined;
        this.#lastError = `journal sync failed: ${e instanceof Error ? e.message : String(e)}`;
        conn.close();
      },
    );
  }

  #ack(conn: FrameConnection, durableIndex: number): void {
    if (durableIndex <= this.#ackedIndex) return;
    this.#ackedIndex = durableIndex;
    conn.send({ type: "ack", durableIndex }, true); // the leader waits on it
  }

  /** Stops following: closes the connection, cancels backoff, waits for the loop to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.#stop.abort();
    if (this.#backoffTimer !== undefined) {
      clearTimeout(this.#backoffTimer);
      this.#backoffTimer = undefined;
      this.#backoffWake?.();
    }
    const conn = this.#conn;
    if (conn) {
      conn.send({ type: "close", code: CloseCode.Normal, reason: "follower shutting down" });
      await conn.flush();
      conn.close();
    }
    await this.#running;
  }
}

/** What {@linkcode probePeer} learned. */
export type ProbeResult =
  /** The peer is a leader at a higher epoch: the prober must step down. */
  | { readonly kind: "peer-higher"; readonly peerId: string; readonly reason: string }
  /** The peer is at a lower epoch and will step down (or is no leader). */
  | { readonly kind: "peer-lower-or-equal"; readonly peerId: string; readonly reason: string }
  /** The handshake failed or the peer is unreachable. */
  | { readonly kind: "failed"; readonly reason: string }
  /**
   * The handshake was refused, by us or by the peer: an own id or nonce came
   * back (reflection, or a node probing itself), an id that is not a member,
   * a proof that does not verify, another cluster or version. Nothing the
   * peer said is believed.
   */
  | { readonly kind: "refused"; readonly reason: string };

/** Options of {@linkcode probePeer}. */
export interface ProbeOptions {
  /** Cluster id; must match the peer's. */
  readonly clusterId: string;
  /** This node's id. */
  readonly nodeId: string;
  /** The shared secret. */
  readonly secret: ReplicationSecret;
  /** The peer's replication address. */
  readonly peer: PeerAddress;
  /** TCP connect timeout; default {@linkcode DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** This leader's epoch. */
  readonly epoch: number;
  /** This node's last index. */
  readonly lastIndex: number;
  /** Epoch of this node's last record. */
  readonly lastEpoch: number;
  /** Protocol limits. */
  readonly limits?: Partial<ProtocolLimits>;
  /** Node ids accepted as the probed peer; absent or empty: any id but this node's own. Ignored with `guard`. */
  readonly members?: readonly string[];
  /** Identity checks shared with this node's listener and follower. */
  readonly guard?: PeerGuard;
  /** Connect with TLS. */
  readonly tls?: TlsClientOptions;
}

/**
 * A leader's probe of a peer's replication address: authenticates, announces
 * this leader's epoch, and reads the peer's verdict. Only a peer that proved
 * the shared secret, as a configured member other than this node, can make the
 * prober step down.
 */
export async function probePeer(options: ProbeOptions): Promise<ProbeResult> {
  let tcp: Deno.Conn;
  try {
    tcp = await connect({
      host: options.peer.hostname,
      port: options.peer.port,
      timeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      ...(options.tls ? { tls: options.tls } : {}),
    });
  } catch (e) {
    return { kind: "failed", reason: e instanceof Error ? e.message : String(e) };
  }
  const conn = new FrameConnection(tcp, { ...DEFAULT_PROTOCOL_LIMITS, ...options.limits });
  const guard = guardOf(options);
  const nonce = guard.issueNonce();
  const refused = async (code: CloseCode, reason: string): Promise<ProbeResult> => {
    await conn.closeWith({ type: "close", code, reason });
    return { kind: "refused", reason };
  };
  try {
    const hello = {
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      role: "leader",
      clusterId: options.clusterId,
      nodeId: options.nodeId,
      lastIndex: options.lastIndex,
      lastEpoch: options.lastEpoch,
      nodeEpoch: options.epoch,
      nonce,
    } as const;
    conn.send(hello);
    const c = await conn.receive();
    if (c?.type !== "challenge") {
      if (c?.type === "close" && isRefusal(c.code)) {
        return { kind: "refused", reason: `peer refused us: ${c.reason}` };
      }
      return { kind: "failed", reason: c?.type === "close" ? c.reason : "no challenge" };
    }
    const peerRefusal = guard.refusePeer(c.nodeId) ?? guard.refuseNonce(c.nonce);
    if (peerRefusal !== undefined) return await refused(CloseCode.PeerRefused, peerRefusal);
    const transcript = transcriptOf(hello, c.nodeId, c.nonce);
    const ok = await options.secret.verify("listener", transcript, c.proof);
    if (!ok) {
      return await refused(
        CloseCode.AuthenticationFailed,
        `peer ${c.nodeId} proof does not verify: wrong secret, or a relayed handshake`,
      );
    }
    conn.send({ type: "response", proof: await options.secret.prove("dialer", transcript) });
    const v = await conn.receive();
    if (v?.type !== "close") return { kind: "failed", reason: `unexpected ${v?.type ?? "end"}` };
    if (v.code === CloseCode.StaleEpoch) {
      return { kind: "peer-higher", peerId: c.nodeId, reason: v.reason };
    }
    if (isRefusal(v.code)) return { kind: "refused", reason: `peer refused us: ${v.reason}` };
    return { kind: "peer-lower-or-equal", peerId: c.nodeId, reason: v.reason };
  } catch (e) {
    return { kind: "failed", reason: e instanceof Error ? e.message : String(e) };
  } finally {
    guard.release(nonce);
    conn.close();
    await conn.flush();
  }
}

function guardOf(
  o: { readonly nodeId: string; readonly members?: readonly string[]; readonly guard?: PeerGuard },
): PeerGuard {
  return o.guard ??
    new PeerGuard({ nodeId: o.nodeId, ...(o.members ? { members: o.members } : {}) });
}

/** Close codes that mean "you are not who I accept". */
function isRefusal(code: CloseCode): boolean {
  return code === CloseCode.PeerRefused || code === CloseCode.AuthenticationFailed ||
    code === CloseCode.WrongCluster || code === CloseCode.VersionMismatch;
}

function closeCodeName(code: CloseCode): string {
  for (const [name, value] of Object.entries(CloseCode)) if (value === code) return name;
  return `code ${code}`;
}
