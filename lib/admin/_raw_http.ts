/**
 * Test helper: one HTTP/1.1 request written byte for byte on a TCP socket (so
 * that headers `fetch` will not send, like a foreign `Host`, can be tested),
 * and the status line and body of the answer.
 *
 * @module
 */

function complete(answer: string): boolean {
  const split = answer.indexOf("\r\n\r\n");
  if (split < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(answer.slice(0, split));
  return length !== null && answer.length - split - 4 >= Number(length[1]);
}

/** Status and body of an HTTP answer. */
export interface RawAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body`,
 * and reads the answer (until its Content-Length is complete, or the server
 * closes). `Connection: close` is added unless `head` has a Connection header.
 */
export async function rawRequest(port: number, head: string, body = ""): Promise<RawAnswer> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bytes = new TextEncoder().encode(body);
    const connection = /\r\nconnection:/i.test(head) ? "" : "\r\nconnection: close";
    const length = head.startsWith("GET ") ? "" : `\r\ncontent-length: ${bytes.length}`;
    const text = `${head}${connection}${length}\r\n\r\n`;
    await conn.write(new TextEncoder().encode(text));
    if (bytes.length > 0) await conn.write(bytes);
    let all = "";
    const buf = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    while (!complete(all)) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      all += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(all)?.[1] ?? 0);
    const split = all.indexOf("\r\n\r\n");
    return { status, text: split < 0 ? "" : all.slice(split + 4) };
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}
