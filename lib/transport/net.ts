/**
 * Listening and connecting over TCP and TLS, returning plain `Deno.Conn`s.
 *
 * - Plain TCP uses `Deno.listen` / `Deno.connect`; every connection gets
 *   `setNoDelay(true)` (FIX messages are small and latency matters; writes are
 *   coalesced by the caller, not by Nagle).
 * - TLS without client certificates uses `Deno.listenTls` on the acceptor side.
 *   Deno 2.9's `Deno.listenTls` has no option to request or verify a client
 *   certificate (only `cert`, `key`, `alpnProtocols`), so an acceptor that sets
 *   `requireClientCert` listens with the runtime's `node:tls` server
 *   (`requestCert`, `ca`, `rejectUnauthorized`) and hands out adapters
 *   implementing `Deno.Conn`. The verified peer certificate of such a
 *   connection is available from {@linkcode peerCertificate}.
 * - On the initiator side, `connect()` uses `Deno.connect` + `Deno.startTls`
 *   (abortable, TCP_NODELAY set) when no client certificate is presented, and
 *   `Deno.connectTls` (which alone accepts a client certificate) otherwise. The
 *   TLS handshake is completed inside `connect()`, within the connect timeout,
 *   so certificate problems surface as a {@linkcode ConnectError}.
 * - A TLS acceptor completes each handshake before `accept()` returns the
 *   connection; a failed handshake (bad or missing certificate, plain text,
 *   timeout) never reaches the caller and is reported to `onRejected`.
 *
 * @module
 */

import * as nodeTls from "node:tls";
import type { HostPort } from "./address.ts";
import { NodeTlsConn } from "./_node_tls_conn.ts";
import { DEFAULT_CONNECT_TIMEOUT_MS } from "./connector.ts";
import { PendingConnections } from "./pending_connections.ts";

/** A TCP or TLS connection, with network addresses. */
export type NetConn = Deno.Conn<Deno.NetAddr>;

/** A PEM value given inline or as a file to read when listening or connecting. */
export type PemSource = { readonly pem: string } | { readonly file: string };

/** TLS settings of an acceptor. */
export interface TlsServerOptions {
  /** The server certificate chain (PEM). */
  readonly cert: PemSource;
  /** The server private key (PEM; PKCS#8, RSA or EC). */
  readonly key: PemSource;
  /** CA bundle that client certificates must chain to; required with `requireClientCert`. */
  readonly ca?: PemSource;
  /** Refuse clients that present no certificate, or one not issued by `ca`. */
  readonly requireClientCert?: boolean;
}

/** TLS settings of an initiator. */
export interface TlsClientOptions {
  /** Extra trusted roots (PEM bundle), in addition to the built-in ones. */
  readonly ca?: PemSource;
  /** Client certificate chain to present (with `key`). */
  readonly cert?: PemSource;
  /** Private key of the client certificate. */
  readonly key?: PemSource;
  /**
   * Name to verify the server certificate against (default: the host). Only
   * honoured without a client certificate: `Deno.connectTls` verifies against
   * the host it connects to.
   */
  readonly serverName?: string;
}

/** Options of {@linkcode listen}. */
export interface ListenOptions {
  /** Address to bind, e.g. `"127.0.0.1"`, `"0.0.0.0"`, `"::"`. */
  readonly host: string;
  /** Port to bind; 0 picks a free one (read it from `Server.addr`). */
  readonly port: number;
  /** Serve TLS. */
  readonly tls?: TlsServerOptions;
  /** TLS only: how long a client may take to complete its handshake. */
  readonly handshakeTimeoutMs?: number;
  /**
   * TLS only: connections in their handshake (beyond it the oldest in
   * handshake is closed), and connections waiting for `accept()` (beyond it
   * new ones are closed); both reported to `onRejected`.
   */
  readonly maxPendingConnections?: number;
  /** TLS only: connections in their handshake from one source address; the oldest makes way. */
  readonly maxPendingPerAddress?: number;
  /** Told about every connection refused before `accept()` (TLS only). */
  readonly onRejected?: (rejection: RejectedConnection) => void;
  /**
   * TLS only: whether a peer may connect, asked before its handshake begins;
   * a refused peer is closed at once and reported to `onRejected` with a
   * reason starting `"address not allowed"`. (Plain TCP connections are
   * returned by `accept()` and filtered by the caller.)
   */
  readonly allowRemote?: (remote: HostPort) => boolean;
}

/** A connection refused before it reached `accept()`. */
export interface RejectedConnection {
  /** The peer, when known. */
  readonly remote: HostPort | undefined;
  /** Why, e.g. the TLS alert or `"too many pending connections (64)"`. */
  readonly reason: string;
}

/** Options of {@linkcode connect}. */
export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: TlsClientOptions;
  /** Give up (and close) when TCP connect plus TLS handshake take longer. */
  readonly timeoutMs?: number;
  /** Abort the connect; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Default time a TLS client gets to complete its handshake with an acceptor. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Default bound on TLS connections in handshake or waiting for `accept()`. */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 64;
/** Default bound on TLS connections in handshake from one source address. */
export const DEFAULT_MAX_PENDING_PER_ADDRESS = 8;
/** Longest connect or handshake timeout accepted (ten minutes). */
export const MAX_NET_TIMEOUT_MS = 600_000;
/** Largest PEM file read (certificate bundles included). */
export const MAX_PEM_BYTES = 1024 * 1024;

/** Why a connect failed, in the connection strategies' terms. */
export type ConnectErrorKind = "connect-refused" | "connect-error" | "connect-timeout";

/** A connect that failed: refused, timed out, or failed otherwise (DNS, TLS, certificate). */
export class ConnectError extends Error {
  /** The failure, as the connection strategies count it. */
  readonly kind: ConnectErrorKind;
  /** The address that was tried. */
  readonly address: HostPort;
  /** Builds the error; `why` says what went wrong. */
  constructor(kind: ConnectErrorKind, address: HostPort, why: string, options?: ErrorOptions) {
    const host = address.host.includes(":") ? `[${address.host}]` : address.host;
    super(`Cannot connect to ${host}:${address.port}: ${why}`, options);
    this.name = "ConnectError";
    this.kind = kind;
    this.address = address;
  }
}

/** TLS material that cannot be used: a file that cannot be read, or text that is not PEM. */
export class TlsMaterialError extends Error {
  /** Which value: `"tls.cert"`, `"tls.key"`, `"tls.ca"`. */
  readonly field: string;
  /** The file, when the value came from one. */
  readonly file: string | undefined;
  /** Builds the error. */
  constructor(field: string, file: string | undefined, why: string, options?: ErrorOptions) {
    super(`Cannot use ${field}${file === undefined ? "" : ` from "${file}"`}: ${why}`, options);
    this.name = "TlsMaterialError";
    this.field = field;
    this.file = file;
  }
}

/** Thrown by `Server.accept()` once the server is closed. */
export class ServerClosedError extends Error {
  /** Builds the error. */
  constructor() {
    super("Cannot accept: the server is closed");
    this.name = "ServerClosedError";
  }
}

/**
 * Certificate name attributes as strings: a multi-valued attribute (two OUs)
 * is joined with ", " (newer Node typings declare `string | string[]`).
 */
function certNames(names: object | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(names ?? {}) as [string, unknown][]) {
    if (typeof v === "string") out[k] = v;
    else if (Array.isArray(v)) out[k] = v.join(", ");
  }
  return out;
}

/** Subject, issuer and fingerprint of a verified client certificate. */
export interface PeerCertificate {
  /** Subject attributes, e.g. `{CN: "client-a", O: "Firm"}`. */
  readonly subject: Readonly<Record<string, string>>;
  /** Issuer attributes. */
  readonly issuer: Readonly<Record<string, string>>;
  /** SHA-256 fingerprint, colon-separated hex (as OpenSSL prints it). */
  readonly fingerprint256: string;
}

const peerCertificates = new WeakMap<NetConn, PeerCertificate>();

/**
 * The verified client certificate of a connection accepted by a server with
 * `requireClientCert`, or `undefined` for any other connection.
 */
export function peerCertificate(conn: NetConn): PeerCertificate | undefined {
  return peerCertificates.get(conn);
}

/** An accepting server. Iterate it or call `accept()`; dispose it to close. */
export interface Server extends AsyncIterable<NetConn>, AsyncDisposable {
  /** The bound address (with the real port when 0 was asked for). */
  readonly addr: HostPort;
  /** Whether connections are TLS. */
  readonly secure: boolean;
  /** The next connection (TLS: handshake complete). Rejects with {@linkcode ServerClosedError} once closed. */
  accept(): Promise<NetConn>;
  /** Stops listening and closes connections not yet accepted. */
  close(): Promise<void>;
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Cannot use ${name} ${value}: must be an integer from ${min} to ${max}`);
  }
}

async function loadPem(field: string, source: PemSource): Promise<string> {
  let text: string;
  let file: string | undefined;
  if ("pem" in source) {
    text = source.pem;
  } else {
    file = source.file;
    let size: number;
    try {
      size = (await Deno.stat(file)).size;
      if (size > MAX_PEM_BYTES) {
        throw new TlsMaterialError(field, file, `file is ${size} bytes, above ${MAX_PEM_BYTES}`);
      }
      text = await Deno.readTextFile(file);
    } catch (error) {
      if (error instanceof TlsMaterialError) throw error;
      throw new TlsMaterialError(field, file, `file cannot be read (${String(error)})`, {
        cause: error,
      });
    }
  }
  if (text.length > MAX_PEM_BYTES) {
    throw new TlsMaterialError(field, file, `value is longer than ${MAX_PEM_BYTES} bytes`);
  }
  if (!/-----BEGIN [A-Z0-9 ]+-----/.test(text)) {
    throw new TlsMaterialError(field, file, "value is not PEM (no -----BEGIN ...----- line)");
  }
  return text;
}

function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

function checkHostPort(where: string, host: string, port: number, minPort: number): void {
  if (host.length === 0) throw new TypeError(`Cannot ${where}: host is empty`);
  checkRange(`port`, port, minPort, 65535);
}

/** Strips IPv6 brackets so both `[::1]` and `::1` work. */
function bareHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/**
 * Opens a listener.
 *
 * @throws {TlsMaterialError} when a certificate, key or CA cannot be read or is not PEM.
 * @throws {TypeError} when `requireClientCert` is set without `ca`, or `ca` without `requireClientCert`.
 * @throws {RangeError} for an out-of-range port or limit.
 */
export async function listen(options: ListenOptions): Promise<Server> {
  checkHostPort("listen", options.host, options.port, 0);
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const maxPending = options.maxPendingConnections ?? DEFAULT_MAX_PENDING_CONNECTIONS;
  checkRange("handshakeTimeoutMs", handshakeTimeoutMs, 1, MAX_NET_TIMEOUT_MS);
  checkRange("maxPendingConnections", maxPending, 1, 65536);
  const hostname = bareHost(options.host);
  const tls = options.tls;
  if (tls === undefined) return new TcpServer(Deno.listen({ hostname, port: options.port }));
  if (tls.requireClientCert === true && tls.ca === undefined) {
    throw new TypeError(
      "Cannot listen with TLS: requireClientCert needs a ca bundle to verify clients",
    );
  }
  if (tls.requireClientCert !== true && tls.ca !== undefined) {
    throw new TypeError(
      "Cannot listen with TLS: a ca bundle is only used with requireClientCert (set it, or drop ca)",
    );
  }
  const cert = await loadPem("tls.cert", tls.cert);
  const key = await loadPem("tls.key", tls.key);
  const maxPendingPerAddress = options.maxPendingPerAddress ??
    DEFAULT_MAX_PENDING_PER_ADDRESS;
  checkRange("maxPendingPerAddress", maxPendingPerAddress, 1, 65536);
  const limits: PendingLimits = {
    handshakeTimeoutMs,
    maxPending,
    maxPendingPerAddress,
    onRejected: options.onRejected ?? (() => {}),
    ...(options.allowRemote === undefined ? {} : { allowRemote: options.allowRemote }),
  };
  if (tls.requireClientCert === true && tls.ca !== undefined) {
    const ca = await loadPem("tls.ca", tls.ca);
    return await NodeMutualTlsServer.open(hostname, options.port, { cert, key, ca }, limits);
  }
  return new DenoTlsServer(Deno.listenTls({ hostname, port: options.port, cert, key }), limits);
}

interface PendingLimits {
  readonly handshakeTimeoutMs: number;
  readonly maxPending: number;
  readonly maxPendingPerAddress: number;
  readonly onRejected: (rejection: RejectedConnection) => void;
  readonly allowRemote?: (remote: HostPort) => boolean;
}

function hostPortOf(addr: Deno.Addr): HostPort {
  return addr.transport === "tcp" || addr.transport === "udp"
    ? { host: addr.hostname, port: addr.port }
    : { host: "", port: 0 };
}

function remoteOf(
  socket: { remoteAddress?: string | undefined; remotePort?: number | undefined },
): HostPort | undefined {
  return socket.remoteAddress === undefined
    ? undefined
    : { host: socket.remoteAddress, port: socket.remotePort ?? 0 };
}

function closeQuietly(conn: { close(): void }): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Plain TCP: `accept()` goes straight to the listener. */
class TcpServer implements Server {
  readonly addr: HostPort;
  readonly secure = false;
  readonly #listener: Deno.TcpListener;
  #closed = false;

  constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    this.addr = hostPortOf(listener.addr);
  }

  async accept(): Promise<NetConn> {
    if (this.#closed) throw new ServerClosedError();
    let conn: Deno.TcpConn;
    try {
      conn = await this.#listener.accept();
    } catch (error) {
      if (this.#closed) throw new ServerClosedError();
      throw error;
    }
    conn.setNoDelay(true);
    return conn;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      closeQuietly(this.#listener);
    }
    return Promise.resolve();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NetConn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ServerClosedError) return;
        throw error;
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** A connection in its TLS handshake, as the pending bounds track it. */
interface Handshake {
  readonly remote: HostPort | undefined;
  /** Closes the connection (it is evicted). */
  readonly abort: () => void;
  /** Set when evicted: its failure is not reported again. */
  evicted: boolean;
}

/**
 * Connections that finished their handshake, waiting for `accept()`; shared by
 * the TLS servers. Connections in their handshake are bounded by
 * `maxPending` in all and `maxPendingPerAddress` per source address, the
 * oldest making way for a new one (see pending_connections.ts), so that
 * peers which never complete a handshake cannot keep others out; connections
 * waiting for `accept()` are bounded by `maxPending`, the newest refused.
 */
abstract class QueuedServer implements Server {
  abstract readonly addr: HostPort;
  readonly secure = true;
  protected readonly limits: PendingLimits;
  protected closed = false;
  #ready: NetConn[] = [];
  #waiters: { resolve: (conn: NetConn) => void; reject: (error: Error) => void }[] = [];
  readonly #handshakes: PendingConnections<Handshake>;

  constructor(limits: PendingLimits) {
    this.limits = limits;
    this.#handshakes = new PendingConnections({
      maxPendingConnections: limits.maxPending,
      maxPendingPerAddress: Math.min(limits.maxPending, limits.maxPendingPerAddress),
    });
  }

  /**
   * Claims a handshake slot for a new connection (evicting the oldest pending
   * one at a bound); undefined (reported) when the address is not allowed.
   */
  protected begin(remote: HostPort | undefined, abort: () => void): Handshake | undefined {
    if (!this.allows(remote)) return undefined;
    const handshake: Handshake = { remote, abort, evicted: false };
    const { evict } = this.#handshakes.admit(handshake, remote?.host ?? "");
    if (evict !== undefined) {
      evict.conn.evicted = true;
      evict.conn.abort();
      this.limits.onRejected({
        remote: evict.conn.remote,
        reason: `closed in its TLS handshake to make room (${
          evict.reason === "pending-limit"
            ? `${this.limits.maxPending} pending connections`
            : `${
              Math.min(this.limits.maxPending, this.limits.maxPendingPerAddress)
            } pending from one address`
        })`,
      });
    }
    return handshake;
  }

  /** Ends a handshake begun with `begin()`. */
  protected end(handshake: Handshake): void {
    this.#handshakes.remove(handshake);
  }

  /** Whether `remote` passes `allowRemote`; reports a refusal when not. */
  protected allows(remote: HostPort | undefined): boolean {
    const allow = this.limits.allowRemote;
    if (allow === undefined) return true;
    if (remote !== undefined && allow(remote)) return true;
    this.limits.onRejected({ remote, reason: "address not allowed" });
    return false;
  }

  /** Queues a connection whose handshake completed, or refuses it when the queue is full. */
  protected settle(conn: NetConn, remote: HostPort | undefined): void {
    if (this.closed) return closeQuietly(conn);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) return waiter.resolve(conn);
    if (this.#ready.length >= this.limits.maxPending) {
      closeQuietly(conn);
      this.limits.onRejected({
        remote,
        reason: `too many pending connections (${this.limits.maxPending})`,
      });
      return;
    }
    this.#ready.push(conn);
  }

  accept(): Promise<NetConn> {
    const conn = this.#ready.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.closed) return Promise.reject(new ServerClosedError());
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  protected abstract closeListener(): Promise<void>;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const conn of this.#ready.splice(0)) closeQuietly(conn);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new ServerClosedError());
    await this.closeListener();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<NetConn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof ServerClosedError) return;
        throw error;
      }
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** TLS via `Deno.listenTls`: a pump accepts and runs handshakes concurrently. */
class DenoTlsServer extends QueuedServer {
  readonly addr: HostPort;
  readonly #listener: Deno.TlsListener;
  readonly #pump: Promise<void>;
  readonly #handshakes = new Set<Promise<void>>();

  constructor(listener: Deno.TlsListener, limits: PendingLimits) {
    super(limits);
    this.#listener = listener;
    this.addr = hostPortOf(listener.addr);
    this.#pump = this.#run();
  }

  async #run(): Promise<void> {
    while (!this.closed) {
      let conn: Deno.TlsConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.closed) return;
        this.limits.onRejected({ remote: undefined, reason: `accept failed: ${describe(error)}` });
        continue;
      }
      const remote = hostPortOf(conn.remoteAddr);
      const pending = this.begin(remote, () => closeQuietly(conn));
      if (pending === undefined) {
        closeQuietly(conn);
        continue;
      }
      const handshake = this.#handshake(conn, remote, pending);
      this.#handshakes.add(handshake);
      handshake.finally(() => this.#handshakes.delete(handshake));
    }
  }

  async #handshake(conn: Deno.TlsConn, remote: HostPort, pending: Handshake): Promise<void> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      closeQuietly(conn);
    }, this.limits.handshakeTimeoutMs);
    try {
      await conn.handshake();
      clearTimeout(timer);
      this.end(pending);
      if (pending.evicted) return closeQuietly(conn);
      this.settle(conn, remote);
    } catch (error) {
      clearTimeout(timer);
      closeQuietly(conn);
      this.end(pending);
      if (pending.evicted) return;
      this.limits.onRejected({
        remote,
        reason: timedOut
          ? `TLS handshake not complete within ${this.limits.handshakeTimeoutMs} ms`
          : `TLS handshake failed: ${describe(error)}`,
      });
    }
  }

  protected async closeListener(): Promise<void> {
    closeQuietly(this.#listener);
    await this.#pump;
    await Promise.allSettled([...this.#handshakes]);
  }
}

/**
 * Mutual TLS via the `node:tls` server (Deno.listenTls cannot verify clients).
 * Handshakes are bounded by node's `handshakeTimeout`; `maxPending` bounds the
 * verified connections waiting for `accept()`.
 */
class NodeMutualTlsServer extends QueuedServer {
  readonly addr: HostPort;
  readonly #server: nodeTls.Server;
  /** Raw sockets still in their handshake. */
  readonly #sockets = new Set<
    { destroy(): void; remotePort?: number | undefined; remoteAddress?: string | undefined }
  >();
  /** Handshake entries of the raw sockets. */
  readonly #pending = new Map<object, Handshake>();

  private constructor(server: nodeTls.Server, addr: HostPort, limits: PendingLimits) {
    super(limits);
    this.#server = server;
    this.addr = addr;
    server.on("connection", (socket) => {
      if (this.closed) return socket.destroy();
      const pending = this.begin(remoteOf(socket), () => socket.destroy());
      if (pending === undefined) return socket.destroy();
      this.#pending.set(socket, pending);
      socket.once("close", () => {
        this.#pending.delete(socket);
        this.end(pending);
      });
      this.#sockets.add(socket);
      // Errors of the raw socket also reach its TLS socket (and the adapter).
      socket.on("error", () => {});
      socket.once("close", () => this.#sockets.delete(socket));
    });
    server.on("secureConnection", (tlsSocket) => {
      const pending = this.#forget(tlsSocket);
      const remote = remoteOf(tlsSocket);
      if (pending !== undefined) this.end(pending);
      if (this.closed || pending?.evicted) return tlsSocket.destroy();
      const cert = tlsSocket.getPeerCertificate();
      const conn = new NodeTlsConn(tlsSocket);
      peerCertificates.set(conn, {
        subject: certNames(cert.subject),
        issuer: certNames(cert.issuer),
        fingerprint256: cert.fingerprint256 ?? "",
      });
      this.settle(conn, remote);
    });
    server.on("tlsClientError", (error, tlsSocket) => {
      limits.onRejected({
        remote: remoteOf(tlsSocket),
        reason: `TLS handshake failed: ${describe(error)}`,
      });
    });
  }

  /**
   * The raw socket under `tlsSocket` is no longer pending: closing the server
   * must spare it. Returns its handshake entry.
   */
  #forget(tlsSocket: nodeTls.TLSSocket): Handshake | undefined {
    const parent = (tlsSocket as unknown as { _parent?: unknown })._parent;
    for (const socket of this.#sockets) {
      if (
        socket === parent ||
        (socket.remotePort === tlsSocket.remotePort &&
          socket.remoteAddress === tlsSocket.remoteAddress)
      ) {
        this.#sockets.delete(socket);
        return this.#pending.get(socket);
      }
    }
    return undefined;
  }

  static open(
    hostname: string,
    port: number,
    material: { cert: string; key: string; ca: string },
    limits: PendingLimits,
  ): Promise<NodeMutualTlsServer> {
    const server = nodeTls.createServer({
      cert: material.cert,
      key: material.key,
      ca: splitPemBundle(material.ca),
      requestCert: true,
      // Deno.Conn semantics: a peer's half-close (closeWrite) leaves our side writable.
      allowHalfOpen: true,
      rejectUnauthorized: true,
      handshakeTimeout: limits.handshakeTimeoutMs,
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, hostname, () => {
        server.off("error", reject);
        const address = server.address();
        const addr = typeof address === "object" && address !== null
          ? { host: address.address, port: address.port }
          : { host: hostname, port };
        resolve(new NodeMutualTlsServer(server, addr, limits));
      });
    });
  }

  protected closeListener(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    // node's close callback waits for every connection to end, accepted ones
    // included; the listening socket itself is closed at once.
    this.#server.close();
    return Promise.resolve();
  }
}

/**
 * Races `promise` against `signal`. On abort, `onAbort` runs (to close what is
 * half open) and the result rejects with the signal's reason; when
 * `awaitSettle` is set it first waits for `promise` to settle, so no operation
 * outlives the call. A value that arrives after the abort goes to `onLate`.
 */
function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  hooks: { onAbort?: () => void; onLate?: (value: T) => void; awaitSettle?: boolean },
): Promise<T> {
  if (signal.aborted) {
    hooks.onAbort?.();
    promise.then((value) => hooks.onLate?.(value), () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      hooks.onAbort?.();
      if (hooks.awaitSettle === true) {
        promise.then(() => reject(signal.reason), () => reject(signal.reason));
      } else {
        reject(signal.reason);
      }
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (aborted) hooks.onLate?.(value);
        else resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        if (!aborted) reject(error);
      },
    );
  });
}

const TIMEOUT = Symbol("connect timeout");

/**
 * Connects over TCP or TLS, completing any TLS handshake, within `timeoutMs`.
 *
 * @throws {ConnectError} with `kind` `connect-refused`, `connect-timeout` or
 * `connect-error` (DNS, unreachable, TLS handshake or certificate failure).
 * @throws {TlsMaterialError} when client TLS material cannot be read.
 * @throws the signal's reason when `signal` aborts.
 */
export async function connect(options: ConnectOptions): Promise<NetConn> {
  const address: HostPort = { host: bareHost(options.host), port: options.port };
  checkHostPort("connect", address.host, address.port, 1);
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  checkRange("timeoutMs", timeoutMs, 1, MAX_NET_TIMEOUT_MS);
  const tls = options.tls;
  if (tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined)) {
    throw new TypeError("Cannot connect with TLS: cert and key must be given together");
  }
  const caCerts = tls?.ca === undefined
    ? undefined
    : splitPemBundle(await loadPem("tls.ca", tls.ca));
  const clientCert = tls?.cert === undefined ? undefined : await loadPem("tls.cert", tls.cert);
  const clientKey = tls?.key === undefined ? undefined : await loadPem("tls.key", tls.key);
  options.signal?.throwIfAborted();

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
  const forward = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", forward, { once: true });
  const signal = controller.signal;
  let conn: NetConn | undefined;
  try {
    if (tls === undefined || clientCert === undefined || clientKey === undefined) {
      const tcp = await Deno.connect({ hostname: address.host, port: address.port, signal });
      tcp.setNoDelay(true);
      conn = tcp;
      if (tls === undefined) return tcp;
      const startOptions: Deno.StartTlsOptions = { hostname: tls.serverName ?? address.host };
      if (caCerts !== undefined) startOptions.caCerts = caCerts;
      conn = await raceAbort(Deno.startTls(tcp, startOptions), signal, {
        onAbort: () => closeQuietly(tcp),
        onLate: (late) => closeQuietly(late),
        awaitSettle: true,
      });
    } else {
      const tlsOptions: Deno.ConnectTlsOptions & Deno.TlsCertifiedKeyPem = {
        hostname: address.host,
        port: address.port,
        cert: clientCert,
        key: clientKey,
      };
      if (caCerts !== undefined) tlsOptions.caCerts = caCerts;
      // Deno.connectTls takes no signal: a connect that completes after the
      // timeout is closed on arrival.
      conn = await raceAbort(Deno.connectTls(tlsOptions), signal, {
        onLate: (late) => closeQuietly(late),
      });
    }
    const tlsConn = conn as Deno.TlsConn;
    await raceAbort(tlsConn.handshake(), signal, {
      onAbort: () => closeQuietly(tlsConn),
      awaitSettle: true,
    });
    return tlsConn;
  } catch (error) {
    if (conn !== undefined) closeQuietly(conn);
    if (signal.aborted && signal.reason === TIMEOUT) {
      throw new ConnectError("connect-timeout", address, `no connection within ${timeoutMs} ms`);
    }
    if (options.signal?.aborted === true) throw options.signal.reason;
    if (error instanceof Deno.errors.ConnectionRefused) {
      throw new ConnectError("connect-refused", address, "connection refused", { cause: error });
    }
    throw new ConnectError("connect-error", address, describe(error), { cause: error });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", forward);
  }
}

/**
 * Checks that `host:port` accepts a connection (and completes the TLS
 * handshake when `tls` is given), then closes it at once without sending a
 * byte. This is the probe of the `priority` strategy: it never logs on.
 *
 * @returns `true` when the connection opened within `timeoutMs`.
 */
export async function probe(options: ConnectOptions): Promise<boolean> {
  let conn: NetConn;
  try {
    conn = await connect(options);
  } catch (error) {
    if (error instanceof ConnectError) return false;
    throw error;
  }
  closeQuietly(conn);
  return true;
}
