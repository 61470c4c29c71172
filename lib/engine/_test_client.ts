// Test helper: a raw FIX client over TCP that frames what it receives.
import { encodeMessage } from "../fix/encoder.ts";
import { Framer } from "../fix/framer.ts";
import type { FixMessage } from "../fix/message.ts";

function utcNow(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${
      p(d.getUTCMilliseconds(), 3)
    }`;
}

export class TestClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  readonly #framer = new Framer();
  readonly #buf = new Uint8Array(65536);
  #eof = false;
  #closed = false;

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  static async connect(port: number): Promise<TestClient> {
    return new TestClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends `35=X|34=n|…` with 49/56/52 filled in when absent. */
  async send(text: string, beginString = "FIX.4.4", sender = "TW", target = "ISLD") {
    const fields = text.split("|").filter((f) => f !== "").map((f) => {
      const eq = f.indexOf("=");
      return [Number(f.slice(0, eq)), f.slice(eq + 1)] as [number, string];
    });
    const msgType = fields.find(([t]) => t === 35)?.[1] ?? "0";
    const rest = fields.filter(([t]) => t !== 35);
    const tags = new Set(rest.map(([t]) => t));
    const head: [number, string][] = [];
    if (!tags.has(49)) head.push([49, sender]);
    if (!tags.has(56)) head.push([56, target]);
    if (!tags.has(52)) head.push([52, utcNow()]);
    await this.write(encodeMessage(beginString, msgType, [...head, ...rest]));
  }

  async write(bytes: Uint8Array | string): Promise<void> {
    const b = typeof bytes === "string"
      ? new TextEncoder().encode(bytes.replaceAll("|", "\x01"))
      : bytes;
    for (let o = 0; o < b.length;) o += await this.conn.write(b.subarray(o));
  }

  /** The next message, or undefined at end of stream. */
  async next(): Promise<FixMessage | undefined> {
    while (true) {
      const f = this.#framer.next();
      if (f !== undefined) {
        if (f.kind === "message") return f.message;
        continue;
      }
      if (this.#eof) return undefined;
      let n: number | null;
      try {
        n = await this.conn.read(this.#buf);
      } catch {
        n = null;
      }
      if (n === null) {
        this.#eof = true;
        continue;
      }
      this.#framer.push(this.#buf.subarray(0, n));
    }
  }

  /** Resolves true when the peer closes without sending anything more. */
  async closedByPeer(): Promise<boolean> {
    return (await this.next()) === undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.conn.close();
    } catch {
      // closed
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
