/**
 * The live feed behind the operator's page: `GET /overview` (this node's own view) and
 * `GET /events`, a Server-Sent Events stream that sends one `snapshot` event every `refreshMs`
 * while anybody listens.
 *
 * A snapshot holds a card per node — this node first, then each configured peer
 * (`admin.peers`), whose `/overview` this node fetches with its own admin token — and the
 * warnings of all of them merged by time. So the page talks only to the node that served it
 * (one origin, `connect-src 'self'`, no CORS), and a pair is watched from either member: the
 * page of the surviving node shows the dead one as unreachable, with what it last said.
 *
 * Stream format (`text/event-stream`):
 *
 * ```text
 * event: snapshot
 * data: {"atMs":…,"refreshMs":1000,"nodes":[{"url":null,"reachable":true,…}],"warnings":[…]}
 *
 * ```
 *
 * Limits: at most `maxStreams` open streams (503 beyond), a stream whose reader falls
 * {@linkcode MAX_QUEUED_SNAPSHOTS} behind is closed, a peer's overview is read up to
 * {@linkcode MAX_PEER_OVERVIEW_BYTES} and waited for at most {@linkcode PEER_TIMEOUT_MS}.
 *
 * @module
 */

import type { RecentLog } from "../log/recent.ts";
import {
  type MessageRates,
  messageRates,
  messageTotals,
  type NodeOverview,
  parseOverview,
} from "./overview.ts";

/** Default interval between snapshots (`admin.pageRefreshMs`). */
export const DEFAULT_PAGE_REFRESH_MS = 1_000;
/** Default limit on open event streams. */
export const DEFAULT_MAX_EVENT_STREAMS = 8;
/** Snapshots a slow reader may have queued before its stream is closed. */
export const MAX_QUEUED_SNAPSHOTS = 8;
/** Largest peer `/overview` body read. */
export const MAX_PEER_OVERVIEW_BYTES = 4 * 1024 * 1024;
/** Longest wait for a peer's `/overview`. */
export const PEER_TIMEOUT_MS = 2_000;
/** Warnings a snapshot carries (the newest, all nodes merged). */
export const MAX_SNAPSHOT_WARNINGS = 50;

/** One node on the page. */
export interface NodeCard {
  /** The peer's admin URL, or null for the node serving the page. */
  readonly url: string | null;
  /** Whether the latest attempt to read the node succeeded. */
  readonly reachable: boolean;
  /** Why it did not, else null. */
  readonly error: string | null;
  /** When the node was last read (this node's clock), or null if never. */
  readonly seenAtMs: number | null;
  /** The node's own clock when it answered last (to age its own timestamps), or null. */
  readonly nodeAtMs: number | null;
  /** The node's latest `/status` (kept while unreachable, marked stale by `reachable`). */
  readonly status: unknown;
  /** The node's latest `/ready` answer, or null. */
  readonly ready: { readonly ready: boolean; readonly reason: string } | null;
  /** Messages per second by session, from the last two reads. */
  readonly rates: Readonly<Record<string, MessageRates>>;
}

/** A warning with the node it came from. */
export interface SnapshotWarning {
  readonly node: string;
  readonly ts: string;
  readonly level: string;
  readonly msg: string;
  readonly fields: string;
}

/** One `snapshot` event. */
export interface PageSnapshot {
  readonly atMs: number;
  readonly refreshMs: number;
  readonly nodes: readonly NodeCard[];
  readonly warnings: readonly SnapshotWarning[];
}

/** Options of {@linkcode OpsFeed}. */
export interface OpsFeedOptions {
  /** This node. */
  readonly self: {
    status(): unknown;
    ready(): { ready: boolean; reason: string };
    metrics(): string;
  };
  /** This node's recent warnings. */
  readonly recent: RecentLog;
  /** Admin base URLs of the peers (`http://127.0.0.1:9911`). */
  readonly peers?: readonly string[];
  /** Bearer token sent to the peers (the pair shares its admin token). */
  readonly token?: string | undefined;
  /** Interval between snapshots; default {@linkcode DEFAULT_PAGE_REFRESH_MS}. */
  readonly refreshMs?: number;
  /** Open streams allowed; default {@linkcode DEFAULT_MAX_EVENT_STREAMS}. */
  readonly maxStreams?: number;
  /** Clock; default `Date.now`. */
  readonly nowMs?: () => number;
}

interface Peer {
  readonly url: string;
  last: NodeOverview | undefined;
  lastSeenAtMs: number | null;
  card: NodeCard;
  /** The read in flight, if any: a slow peer is never read twice at once. */
  reading: Promise<void> | undefined;
}

interface Stream {
  readonly controller: ReadableStreamDefaultController<Uint8Array>;
}

const enc = new TextEncoder();

/** See the module doc. */
export class OpsFeed implements AsyncDisposable {
  readonly #self: OpsFeedOptions["self"];
  readonly #recent: RecentLog;
  readonly #token: string | undefined;
  readonly #refreshMs: number;
  readonly #maxStreams: number;
  readonly #nowMs: () => number;
  readonly #peers: Peer[];
  readonly #streams = new Set<Stream>();
  #selfLast: NodeOverview | undefined;
  #latest: Uint8Array | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  readonly #abort = new AbortController();
  readonly #peerWaitMs: number;

  /** Creates an idle feed: nothing is read until a stream opens. */
  constructor(options: OpsFeedOptions) {
    this.#self = options.self;
    this.#recent = options.recent;
    this.#token = options.token;
    this.#refreshMs = options.refreshMs ?? DEFAULT_PAGE_REFRESH_MS;
    this.#maxStreams = options.maxStreams ?? DEFAULT_MAX_EVENT_STREAMS;
    this.#nowMs = options.nowMs ?? Date.now;
    this.#peerWaitMs = Math.min(PEER_TIMEOUT_MS, Math.max(50, this.#refreshMs / 2));
    this.#peers = (options.peers ?? []).map((url) => ({
      url,
      last: undefined,
      lastSeenAtMs: null,
      reading: undefined,
      card: {
        url,
        reachable: false,
        error: "not read yet",
        seenAtMs: null,
        nodeAtMs: null,
        status: null,
        ready: null,
        rates: {},
      },
    }));
  }

  /** This node's overview (`GET /overview`). */
  overview(): NodeOverview {
    return {
      atMs: this.#nowMs(),
      status: this.#self.status(),
      ready: this.#self.ready(),
      messages: messageTotals(this.#self.metrics()),
      warnings: this.#recent.entries(),
    };
  }

  /** Open event streams. */
  get streams(): number {
    return this.#streams.size;
  }

  /** Answers `GET /events`: an event stream, or 503 when `maxStreams` are open. */
  events(): Response {
    if (this.#closed || this.#streams.size >= this.#maxStreams) {
      return new Response(
        JSON.stringify({
          error: this.#closed
            ? "Cannot open an event stream: the node is stopping"
            : `Cannot open an event stream: ${this.#maxStreams} are open already`,
        }) + "\n",
        { status: 503, headers: { "content-type": "application/json; charset=utf-8" } },
      );
    }
    let stream: Stream | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        stream = { controller };
        this.#streams.add(stream);
        // An SSE comment flushes the headers at once; the first snapshot follows.
        controller.enqueue(enc.encode(": tandem operator feed\n\n"));
        if (this.#latest) controller.enqueue(this.#latest);
        if (this.#timer === undefined && this.#ticking === undefined) this.#tick();
      },
      cancel: () => {
        if (stream) this.#streams.delete(stream);
      },
    }, new CountQueuingStrategy({ highWaterMark: 1 }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  }

  /**
   * Builds one snapshot now; what every stream receives each interval. Peers are read in the
   * background: the snapshot waits for them at most half an interval, then shows a slow peer as
   * it was last read (it turns unreachable once its read times out), so one hung peer never
   * holds back the page.
   */
  async snapshot(): Promise<PageSnapshot> {
    const self = this.overview();
    const selfCard: NodeCard = {
      url: null,
      reachable: true,
      error: null,
      seenAtMs: self.atMs,
      nodeAtMs: self.atMs,
      status: self.status,
      ready: self.ready ?? null,
      rates: messageRates(this.#selfLast, self),
    };
    this.#selfLast = self;
    const reads = this.#peers.map((p) =>
      p.reading ??= this.#readPeer(p).finally(() => (p.reading = undefined))
    );
    if (reads.length > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(reads),
        new Promise((resolve) => (timer = setTimeout(resolve, this.#peerWaitMs))),
      ]);
      clearTimeout(timer);
    }
    const peers = this.#peers.map((p) => p.card);
    const warnings: SnapshotWarning[] = [];
    const name = (o: NodeOverview | undefined, fallback: string) => {
      const id = (o?.status as { nodeId?: unknown } | undefined)?.nodeId;
      return typeof id === "string" ? id : fallback;
    };
    for (const w of self.warnings) warnings.push({ node: name(self, "this node"), ...w });
    for (const p of this.#peers) {
      for (const w of p.last?.warnings ?? []) {
        warnings.push({
          node: name(p.last, p.url),
          ts: String(w.ts),
          level: String(w.level),
          msg: String(w.msg),
          fields: String(w.fields),
        });
      }
    }
    warnings.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    return {
      atMs: self.atMs,
      refreshMs: this.#refreshMs,
      nodes: [selfCard, ...peers],
      warnings: warnings.slice(-MAX_SNAPSHOT_WARNINGS),
    };
  }

  async #readPeer(p: Peer): Promise<void> {
    try {
      const res = await fetch(`${p.url}/overview`, {
        headers: this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` },
        signal: AbortSignal.any([AbortSignal.timeout(PEER_TIMEOUT_MS), this.#abort.signal]),
      });
      const text = await readLimited(res, MAX_PEER_OVERVIEW_BYTES);
      if (res.status !== 200) {
        throw new Error(`HTTP ${res.status}${text ? `: ${text.trim().slice(0, 200)}` : ""}`);
      }
      const o = parseOverview(JSON.parse(text));
      // Rates from the peer's own clock, so a slow fetch does not bend them.
      const rates = messageRates(p.last, o);
      p.last = o;
      p.lastSeenAtMs = this.#nowMs();
      p.card = {
        url: p.url,
        reachable: true,
        error: null,
        seenAtMs: p.lastSeenAtMs,
        nodeAtMs: o.atMs,
        status: o.status,
        ready: o.ready ?? null,
        rates,
      };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      p.card = {
        url: p.url,
        reachable: false,
        error: `Cannot read ${p.url}/overview: ${why}`,
        seenAtMs: p.lastSeenAtMs,
        nodeAtMs: p.last?.atMs ?? null,
        status: p.last?.status ?? null,
        ready: p.last?.ready ?? null,
        rates: {},
      };
    }
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed || this.#streams.size === 0) return;
    this.#ticking = (async () => {
      let data: Uint8Array;
      try {
        data = enc.encode(`event: snapshot\ndata: ${JSON.stringify(await this.snapshot())}\n\n`);
      } catch (err) {
        const msg = JSON.stringify({ error: (err as Error).message ?? String(err) });
        data = enc.encode(`event: failure\ndata: ${msg}\n\n`);
      }
      this.#latest = data;
      for (const s of [...this.#streams]) {
        const queued = 1 - (s.controller.desiredSize ?? 1);
        if (queued >= MAX_QUEUED_SNAPSHOTS) {
          this.#streams.delete(s);
          try {
            s.controller.close();
          } catch { /* already closed */ }
          continue;
        }
        try {
          s.controller.enqueue(data);
        } catch {
          this.#streams.delete(s);
        }
      }
    })().finally(() => {
      this.#ticking = undefined;
      if (!this.#closed && this.#streams.size > 0) {
        this.#timer = setTimeout(() => this.#tick(), this.#refreshMs);
      }
    });
  }

  /** Closes every stream (so a server shutdown does not wait for them) and stops reading. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const s of this.#streams) {
      try {
        s.controller.close();
      } catch { /* already closed */ }
    }
    this.#streams.clear();
    this.#abort.abort();
    await this.#ticking;
    await Promise.all(this.#peers.map((p) => p.reading));
  }

  /** Same as {@linkcode OpsFeed.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function readLimited(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        throw new Error(`the answer exceeds ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return new TextDecoder().decode(all);
}

/** The admin base URL of a peer given as host and port. */
export function peerUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
}
