/**
 * What every local HTTP endpoint of a node (admin and application API) checks
 * before it looks at a request: that it comes from a program and not from a
 * web page the operator happens to have open, and that its body is bounded.
 *
 * - **Host** must name the server: the address it is bound to, a loopback
 *   name or address when it is bound to loopback, an IP address when it is
 *   bound to every interface, or one of {@linkcode HttpEdgeOptions.allowedHosts}.
 *   A page that rebinds its own DNS name to 127.0.0.1 (DNS rebinding) sends
 *   its own name as Host and is refused with 421.
 * - **Origin**, when present (every browser sends it on cross-origin requests,
 *   WebSocket upgrades included), must be the server's own (`http://` + the
 *   checked Host: a page the server itself serves) or one of
 *   {@linkcode HttpEdgeOptions.allowedOrigins} (none by default): 403.
 * - **Content-Type** of a POST must be one the endpoint names (JSON:
 *   `application/json`), never one of the types a page may send cross-origin
 *   without asking first (`text/plain`, forms): 415.
 * - **Tokens** are read from `Authorization: Bearer …` only (the scheme in any
 *   case); a token in the query string is refused (400): URLs end up in logs,
 *   proxies and browser history.
 * - **Bodies** are read incrementally and reading stops past
 *   {@linkcode HttpEdgeOptions.maxBodyBytes}: 413, whether or not the request
 *   declared its length, and the body is never held beyond the limit.
 *
 * @module
 */

/** Default for {@linkcode HttpEdgeOptions.maxBodyBytes} (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Options shared by the admin and API endpoints. */
export interface HttpEdgeOptions {
  /** Host header values answered besides the bound address (and loopback names on loopback). */
  readonly allowedHosts?: readonly string[];
  /** Browser origins allowed to call (`https://ops.example`); default none. */
  readonly allowedOrigins?: readonly string[];
  /** Largest request body read. Default {@linkcode DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
}

/** A request refused at the edge; `status` is the HTTP status to answer with. */
export class HttpEdgeError extends Error {
  /** HTTP status to answer with. */
  readonly status: number;
  /** Builds the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpEdgeError";
    this.status = status;
  }
}

function bare(host: string): string {
  return host.replace(/^\[|\]$/g, "").toLowerCase();
}

function isLoopbackName(h: string): boolean {
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isIpLiteral(h: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    (h.includes(":") && /^[0-9a-f:.]+$/.test(h));
}

/** The host part of a Host header value (`name`, `1.2.3.4`, `[::1]`, each with an optional port). */
function hostOf(header: string): string {
  const h = header.trim();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(1, end).toLowerCase();
  }
  const colon = h.indexOf(":");
  return (colon < 0 ? h : h.slice(0, colon)).toLowerCase().replace(/\.$/, "");
}

/** Origins compare by scheme, host and port, case-insensitively, without a trailing slash. */
function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/$/, "");
}

/** The checks of the module doc for one server. */
export class HttpEdge {
  readonly #boundHost: string;
  readonly #allowedHosts: ReadonlySet<string>;
  readonly #allowedOrigins: ReadonlySet<string>;
  /** Largest request body read. */
  readonly maxBodyBytes: number;

  /**
   * @param boundHostname the address the server listens on
   * @throws {RangeError} when `maxBodyBytes` is not a positive integer
   */
  constructor(boundHostname: string, options: HttpEdgeOptions = {}) {
    this.#boundHost = bare(boundHostname);
    this.#allowedHosts = new Set((options.allowedHosts ?? []).map(bare));
    this.#allowedOrigins = new Set((options.allowedOrigins ?? []).map(normalOrigin));
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(this.maxBodyBytes) || this.maxBodyBytes < 1) {
      throw new RangeError(
        `Cannot use maxBodyBytes ${this.maxBodyBytes}: must be an integer of at least 1`,
      );
    }
  }

  /** Whether a Host header value names this server. */
  allowsHost(header: string): boolean {
    const h = hostOf(header);
    if (h === "") return false;
    if (h === this.#boundHost || this.#allowedHosts.has(h)) return true;
    if (isLoopbackName(this.#boundHost)) return isLoopbackName(h);
    if (this.#boundHost === "0.0.0.0" || this.#boundHost === "::") return isIpLiteral(h);
    return false;
  }

  /**
   * Host, Origin and query-token checks for any request (WebSocket upgrades
   * included).
   *
   * @throws {HttpEdgeError} (421, 403, 400) saying what was refused
   */
  checkRequest(req: Request, url: URL): void {
    const host = req.headers.get("host");
    if (host === null || !this.allowsHost(host)) {
      throw new HttpEdgeError(
        421,
        `Cannot serve host ${JSON.stringify(host ?? "")}: not this server's address ` +
          "(add it to allowedHosts if it is a name of this server)",
      );
    }
    const origin = req.headers.get("origin");
    if (
      origin !== null && normalOrigin(origin) !== `http://${host.trim().toLowerCase()}` &&
      !this.#allowedOrigins.has(normalOrigin(origin))
    ) {
      throw new HttpEdgeError(
        403,
        `Cannot serve a request from origin ${JSON.stringify(origin)}: ` +
          "it is not in allowedOrigins",
      );
    }
    if (url.searchParams.has("token") || url.searchParams.has("access_token")) {
      throw new HttpEdgeError(
        400,
        "Cannot take a token from the URL: send it as an Authorization: Bearer header",
      );
    }
  }

  /**
   * Requires a POST's Content-Type to be one of `accepted` (media types,
   * parameters ignored); returns the one given.
   *
   * @throws {HttpEdgeError} (415)
   */
  checkContentType(req: Request, accepted: readonly string[]): string {
    const given = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (!accepted.includes(given)) {
      throw new HttpEdgeError(
        415,
        `Cannot accept Content-Type ${JSON.stringify(given)}: send ${accepted.join(" or ")}`,
      );
    }
    return given;
  }

  /**
   * Reads a request body, stopping as soon as it passes `maxBodyBytes` (a
   * declared Content-Length above it is refused before reading a byte).
   *
   * @throws {HttpEdgeError} (413) when the body is larger than the limit
   */
  async readBody(req: Request): Promise<Uint8Array> {
    const max = this.maxBodyBytes;
    const tooLarge = () =>
      new HttpEdgeError(413, `Cannot read a request body larger than ${max} bytes`);
    const declared = req.headers.get("content-length");
    if (declared !== null && Number(declared) > max) {
      await req.body?.cancel().catch(() => {});
      throw tooLarge();
    }
    if (req.body === null) return new Uint8Array(0);
    const reader = req.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  /**
   * Reads a body as UTF-8 text (bounded as {@linkcode HttpEdge.readBody}).
   *
   * @throws {HttpEdgeError} (413 too large, 400 not UTF-8)
   */
  async readText(req: Request): Promise<string> {
    const bytes = await this.readBody(req);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new HttpEdgeError(400, "Cannot read the request body: it is not UTF-8");
    }
  }
}

/**
 * The bearer token of a request: `Authorization: Bearer <token>`, the scheme
 * in any case; undefined when absent or of another scheme.
 */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.get("authorization");
  if (header === null) return undefined;
  // the rest of the value, spaces included (tokens are compared whole, as configured)
  const m = /^\s*bearer +(.+)$/is.exec(header);
  return m === null ? undefined : m[1];
}
