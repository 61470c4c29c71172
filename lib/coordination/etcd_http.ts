/**
 * A small client for etcd's v3 HTTP/JSON gateway, the JSON form of the gRPC
 * API that etcd (3.4 and later) serves on its client URLs, called with the
 * runtime's `fetch`. Only what the cluster coordinator needs: range, put,
 * delete, transactions, leases and authentication.
 *
 * ## The wire format
 *
 * Every call is `POST <endpoint>/v3/<service>/<method>` with a JSON body, for
 * example `POST /v3/kv/range {"key": "L3QvbGVhZGVy"}`. Keys and values are
 * base64 of their bytes (UTF-8 here); 64-bit integers (revisions, lease ids,
 * TTLs) are decimal strings both ways; fields at their default (0, false,
 * empty) are left out of answers. A failed call answers an HTTP status
 * mapped from its gRPC code with `{"error", "message", "code"}` (the gRPC
 * code: 5 not found, 14 unavailable, 16 unauthenticated). Lease keepalive is
 * a stream: one request object in, one `{"result": {...}}` line out, then
 * the stream ends because the request body did.
 *
 * ## Endpoints, deadlines and credentials
 *
 * Each call has one deadline ({@linkcode EtcdHttpClientOptions.callTimeoutMs}).
 * Within it the call goes to the member that answered last; when a member
 * cannot be reached, answers unavailable (5xx, 408: no Raft leader, shutting
 * down) or does not answer within half of the time left, the call moves on
 * to the next member. Three such failures
 * in a row make the client skip that member for
 * {@linkcode ETCD_MEMBER_SKIP_MS} (a cockatiel circuit breaker per member).
 * Retrying on another member is safe for every request this client makes:
 * reads, lease keepalives and revocations are idempotent, and the
 * coordinator's writes are transactions whose compare fails when applied
 * twice.
 *
 * With a username and password the client asks `/v3/auth/authenticate` for a
 * token, sends it in the `Authorization` header and authenticates again when
 * a member calls it invalid (tokens expire). TLS uses
 * `Deno.createHttpClient` with the CA and, for client-certificate
 * authentication, the certificate and key: stable API, no flag, and
 * `deno compile`-safe.
 *
 * @module
 */

import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleWhen } from "cockatiel";

/**
 * How long the client skips an etcd member after three unavailable answers in
 * a row. Short: while etcd elects a new Raft leader every member fails, and a
 * long skip of the healthy ones would outlast a lease.
 */
export const ETCD_MEMBER_SKIP_MS = 250;

/** Default {@linkcode EtcdHttpClientOptions.callTimeoutMs}. */
export const DEFAULT_ETCD_HTTP_CALL_TIMEOUT_MS = 1_000;

/** Shortest time an attempt gets when the deadline allows (see `#request`). */
const MIN_ATTEMPT_MS = 200;

/** Pause after every member failed once, before the next round within the deadline. */
const ROUND_PAUSE_MS = 50;

/** Options of {@linkcode EtcdHttpClient}. */
export interface EtcdHttpClientOptions {
  /** Client URLs, `http://host:port` or `https://host:port`. */
  readonly endpoints: readonly string[];
  /** Deadline of each call, retries on other members included. */
  readonly callTimeoutMs?: number;
  /** Username and password (etcd's auth). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** TLS: CA bundle, and optionally a client certificate with its key (PEM). */
  readonly tls?: {
    readonly ca: Uint8Array | string;
    readonly cert?: Uint8Array | string;
    readonly key?: Uint8Array | string;
  };
}

/** A failure etcd reported (or the transport to it). */
export class EtcdError extends Error {
  /** gRPC status code from etcd's answer; undefined for transport failures. */
  readonly code: number | undefined;
  /** HTTP status; 0 for transport failures. */
  readonly status: number;
  /** Whether another member may succeed (unreachable, unavailable). */
  readonly unavailable: boolean;

  constructor(message: string, status: number, code: number | undefined, unavailable: boolean) {
    super(message);
    this.name = "EtcdError";
    this.status = status;
    this.code = code;
    this.unavailable = unavailable;
  }
}

/** gRPC code of "not found" (a lease that does not exist). */
export const ETCD_CODE_NOT_FOUND = 5;
/** gRPC code of "unauthenticated" (an invalid or expired token). */
export const ETCD_CODE_UNAUTHENTICATED = 16;

/** One key as etcd holds it. */
export interface EtcdKeyValue {
  readonly key: string;
  readonly value: string;
  /** Revision of the key's creation. */
  readonly createRevision: string;
  /** Revision of its last change. */
  readonly modRevision: string;
  /** Its lease id, "0" when none. */
  readonly lease: string;
}

/** A transaction's condition on one key. */
export interface EtcdCompare {
  readonly key: string;
  /** What is compared: `create` and `mod` revisions ("0": the key does not exist), or the value. */
  readonly target: "create" | "mod" | "value";
  readonly result: "equal" | "notEqual" | "greater" | "less";
  readonly value: string;
}

/** An operation of a transaction branch. */
export type EtcdOp =
  | { readonly put: { readonly key: string; readonly value: string; readonly lease?: string } }
  | { readonly delete: { readonly key: string } };

/** See the module doc. */
export class EtcdHttpClient implements AsyncDisposable {
  readonly endpoints: readonly string[];
  readonly callTimeoutMs: number;
  readonly #auth: EtcdHttpClientOptions["auth"];
  readonly #http: Deno.HttpClient;
  readonly #breakers;
  readonly #closing = new AbortController();
  #next = 0;
  #token: string | undefined;
  #authenticating: Promise<string> | undefined;

  /** Nothing is contacted until the first call. */
  constructor(options: EtcdHttpClientOptions) {
    if (options.endpoints.length === 0) {
      throw new RangeError("Cannot connect to etcd: no endpoints");
    }
    for (const e of options.endpoints) {
      if (!/^https?:\/\/[^/]+\/?$/.test(e)) {
        throw new RangeError(`Cannot use etcd endpoint ${e}: expected http(s)://host:port`);
      }
    }
    this.endpoints = options.endpoints.map((e) => e.replace(/\/$/, ""));
    this.callTimeoutMs = options.callTimeoutMs ?? DEFAULT_ETCD_HTTP_CALL_TIMEOUT_MS;
    this.#auth = options.auth;
    const tls = options.tls;
    this.#http = Deno.createHttpClient({
      ...(tls ? { caCerts: [text(tls.ca)] } : {}),
      ...(tls?.cert !== undefined && tls.key !== undefined
        ? { cert: text(tls.cert), key: text(tls.key) }
        : {}),
    });
    this.#breakers = this.endpoints.map(() =>
      circuitBreaker(handleWhen((e) => e instanceof EtcdError && e.unavailable), {
        halfOpenAfter: ETCD_MEMBER_SKIP_MS,
        breaker: new ConsecutiveBreaker(3),
      })
    );
  }

  /** Reads `key`, or every key starting with it when `prefix`. */
  async range(
    key: string,
    options: { readonly prefix?: boolean } = {},
  ): Promise<{ readonly revision: string; readonly kvs: EtcdKeyValue[] }> {
    const res = await this.#call("kv/range", {
      key: b64(key),
      ...(options.prefix ? { range_end: b64Bytes(prefixEnd(utf8(key))) } : {}),
    }) as RangeJson;
    return {
      revision: res.header?.revision ?? "0",
      kvs: (res.kvs ?? []).map((kv) => ({
        key: unb64(kv.key ?? ""),
        value: unb64(kv.value ?? ""),
        createRevision: kv.create_revision ?? "0",
        modRevision: kv.mod_revision ?? "0",
        lease: kv.lease ?? "0",
      })),
    };
  }

  /** Writes `key`, attached to `lease` if given. */
  async put(key: string, value: string, lease?: string): Promise<{ readonly revision: string }> {
    const res = await this.#call("kv/put", putJson({ key, value, ...(lease ? { lease } : {}) }));
    return { revision: (res as HeaderJson).header?.revision ?? "0" };
  }

  /** Deletes `key`, or every key starting with it when `prefix`. */
  async delete(key: string, options: { readonly prefix?: boolean } = {}): Promise<number> {
    const res = await this.#call("kv/deleterange", {
      key: b64(key),
      ...(options.prefix ? { range_end: b64Bytes(prefixEnd(utf8(key))) } : {}),
    }) as { deleted?: string };
    return Number(res.deleted ?? 0);
  }

  /** If every compare holds, applies `success`, else `failure`; one atomic step. */
  async txn(
    compare: readonly EtcdCompare[],
    success: readonly EtcdOp[],
    failure: readonly EtcdOp[] = [],
  ): Promise<{ readonly succeeded: boolean; readonly revision: string }> {
    const res = await this.#call("kv/txn", {
      compare: compare.map(compareJson),
      success: success.map(opJson),
      failure: failure.map(opJson),
    }) as HeaderJson & { succeeded?: boolean };
    return { succeeded: res.succeeded === true, revision: res.header?.revision ?? "0" };
  }

  /** Grants a lease of `ttlS` seconds; resolves with its id. */
  async leaseGrant(ttlS: number): Promise<string> {
    const res = await this.#call("lease/grant", { TTL: String(ttlS) }) as { ID?: string };
    if (res.ID === undefined) {
      throw new EtcdError("Cannot grant a lease: no id in the answer", 200, undefined, false);
    }
    return res.ID;
  }

  /** Renews lease `id` once; resolves with its new TTL in seconds, 0 when it no longer exists. */
  async leaseKeepAliveOnce(id: string): Promise<number> {
    const res = await this.#call("lease/keepalive", { ID: id }) as { TTL?: string };
    return Number(res.TTL ?? 0);
  }

  /** Revokes lease `id` (its keys are deleted); rejects with code 5 when it does not exist. */
  async leaseRevoke(id: string): Promise<void> {
    await this.#call("lease/revoke", { ID: id });
  }

  async #authenticate(): Promise<string> {
    const auth = this.#auth!;
    this.#authenticating ??= this.#request("auth/authenticate", {
      name: auth.username,
      password: auth.password,
    }, undefined).then((r) => {
      const token = (r as { token?: string }).token;
      if (!token) {
        throw new EtcdError("Cannot authenticate to etcd: no token", 200, undefined, false);
      }
      this.#token = token;
      return token;
    }).finally(() => (this.#authenticating = undefined));
    return await this.#authenticating;
  }

  async #call(method: string, body: unknown): Promise<unknown> {
    if (this.#auth === undefined) return await this.#request(method, body, undefined);
    const token = this.#token ?? await this.#authenticate();
    try {
      return await this.#request(method, body, token);
    } catch (e) {
      if (!(e instanceof EtcdError) || e.code !== ETCD_CODE_UNAUTHENTICATED) throw e;
      // The token expired (or the member that issued it forgot it): once more with a new one.
      if (this.#token === token) this.#token = undefined;
      return await this.#request(method, body, this.#token ?? await this.#authenticate());
    }
  }

  /** One call within the deadline, moving over the members as described in the module doc. */
  async #request(method: string, body: unknown, token: string | undefined): Promise<unknown> {
    const deadlineAtMs = Date.now() + this.callTimeoutMs;
    const payload = JSON.stringify(body);
    let last: unknown;
    let failedInRound = 0;
    while (true) {
      if (this.#closing.signal.aborted) {
        throw new EtcdError(
          `Cannot call etcd ${method}: the client is closed`,
          0,
          undefined,
          false,
        );
      }
      const remainingMs = deadlineAtMs - Date.now();
      if (remainingMs <= 0) {
        const why = last instanceof Error ? last.message : "no member answered";
        throw new EtcdError(
          `Cannot call etcd ${method}: no answer within ${this.callTimeoutMs} ms (${why})`,
          0,
          undefined,
          true,
        );
      }
      const i = this.#next;
      // A member that hangs (frozen, or stopping with the request inside) must leave time for
      // another: an attempt gets half of what is left while there are others to try.
      const attemptMs = this.endpoints.length === 1
        ? remainingMs
        : Math.max(remainingMs / 2, Math.min(remainingMs, MIN_ATTEMPT_MS));
      try {
        const res = await this.#breakers[i]!.execute(() =>
          this.#attempt(this.endpoints[i]!, method, payload, token, attemptMs)
        );
        this.#next = i;
        return res;
      } catch (e) {
        if (!(e instanceof BrokenCircuitError) && !(e instanceof EtcdError && e.unavailable)) {
          throw e;
        }
        if (!(e instanceof BrokenCircuitError)) last = e;
        this.#next = (i + 1) % this.endpoints.length;
        if (++failedInRound >= this.endpoints.length) {
          failedInRound = 0;
          await abortableDelay(
            Math.min(ROUND_PAUSE_MS, Math.max(0, deadlineAtMs - Date.now())),
            this.#closing.signal,
          );
        }
      }
    }
  }

  async #attempt(
    endpoint: string,
    method: string,
    payload: string,
    token: string | undefined,
    timeoutMs: number,
  ): Promise<unknown> {
    const url = `${endpoint}/v3/${method}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(token !== undefined ? { authorization: token } : {}),
        },
        body: payload,
        client: this.#http,
        signal: AbortSignal.any([this.#closing.signal, AbortSignal.timeout(timeoutMs)]),
      });
      text = await res.text();
    } catch (e) {
      const why = e instanceof DOMException && e.name === "TimeoutError"
        ? `no answer within ${Math.round(timeoutMs)} ms`
        : e instanceof Error
        ? e.message
        : String(e);
      throw new EtcdError(`Cannot reach etcd at ${endpoint}: ${why}`, 0, undefined, true);
    }
    // Streaming methods (lease keepalive) answer one JSON object per line.
    const first = text.split("\n").find((l) => l.trim() !== "") ?? "{}";
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(first);
    } catch {
      throw new EtcdError(
        `Cannot read etcd's answer to ${method} from ${endpoint}: HTTP ${res.status}, not JSON: ${
          first.slice(0, 200)
        }`,
        res.status,
        undefined,
        isUnavailable(res.status, undefined),
      );
    }
    // A refused call answers a non-2xx status; a refused stream, an `error` line.
    const refusal = !res.ok ? json : json.error;
    if (refusal !== undefined) {
      const e = (typeof refusal === "object" && refusal !== null ? refusal : {}) as {
        message?: string;
        error?: string;
        code?: number;
        grpc_code?: number;
        http_code?: number;
      };
      const code = e.code ?? e.grpc_code;
      const status = res.ok ? (e.http_code ?? 500) : res.status;
      throw new EtcdError(
        `etcd at ${endpoint} refused ${method}: ${e.message ?? e.error ?? `HTTP ${status}`}`,
        status,
        code,
        isUnavailable(status, code),
      );
    }
    return json.result ?? json;
  }

  /** Aborts calls in flight and closes the connections. */
  [Symbol.asyncDispose](): Promise<void> {
    if (!this.#closing.signal.aborted) {
      this.#closing.abort();
      this.#http.close();
    }
    return Promise.resolve();
  }
}

interface HeaderJson {
  header?: { revision?: string };
}

interface RangeJson extends HeaderJson {
  kvs?: {
    key?: string;
    value?: string;
    create_revision?: string;
    mod_revision?: string;
    lease?: string;
  }[];
}

/**
 * Whether another member (or a later try) may succeed: 5xx, 408 and 429, and the gRPC codes
 * canceled (1), deadline exceeded (4), resource exhausted (8) and unavailable (14). A member
 * shutting down answers "grpc: the client connection is closing" (canceled, HTTP 408).
 */
function isUnavailable(status: number, code: number | undefined): boolean {
  return status >= 500 || status === 408 || status === 429 ||
    (code !== undefined && [1, 4, 8, 14].includes(code));
}

function putJson(p: { key: string; value: string; lease?: string }): Record<string, string> {
  return { key: b64(p.key), value: b64(p.value), ...(p.lease ? { lease: p.lease } : {}) };
}

function opJson(op: EtcdOp): Record<string, unknown> {
  return "put" in op
    ? { request_put: putJson(op.put) }
    : { request_delete_range: { key: b64(op.delete.key) } };
}

const RESULT = { equal: "EQUAL", notEqual: "NOT_EQUAL", greater: "GREATER", less: "LESS" } as const;

function compareJson(c: EtcdCompare): Record<string, string> {
  const base = { key: b64(c.key), result: RESULT[c.result] };
  switch (c.target) {
    case "create":
      return { ...base, target: "CREATE", create_revision: c.value };
    case "mod":
      return { ...base, target: "MOD", mod_revision: c.value };
    case "value":
      return { ...base, target: "VALUE", value: b64(c.value) };
    default: {
      const never: never = c.target;
      throw new TypeError(`Cannot compare on ${never}`);
    }
  }
}

function text(pem: Uint8Array | string): string {
  return typeof pem === "string" ? pem : new TextDecoder().decode(pem);
}

function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function b64Bytes(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function b64(s: string): string {
  return b64Bytes(utf8(s));
}

function unb64(s: string): string {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

/** The end of the range of keys starting with `prefix` (etcd's `WithPrefix`). */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]); // every key: the prefix was all 0xff
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
