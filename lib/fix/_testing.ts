/**
 * Helpers for the codec's tests: write messages as text with `|` for SOH.
 *
 * @module
 */

/** Text with `|` for SOH → bytes (latin1, one byte per char). */
export function b(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i] = c === 0x7c ? 1 : c;
  }
  return out;
}

/** Bytes → text with `|` for SOH. */
export function t(bytes: Uint8Array): string {
  let s = "";
  for (const c of bytes) s += c === 1 ? "|" : String.fromCharCode(c);
  return s;
}

/**
 * Completes `8=…|<body>|` (no 9, no 10) with a correct BodyLength and
 * CheckSum; returns text with `|` for SOH.
 */
export function complete(text: string): string {
  const first = text.indexOf("|");
  const head = text.slice(0, first + 1);
  const body = text.slice(first + 1);
  const withLength = `${head}9=${body.length}|${body}`;
  let sum = 0;
  for (const c of b(withLength)) sum += c;
  return `${withLength}10=${String(sum & 0xff).padStart(3, "0")}|`;
}

/** {@linkcode complete} as bytes. */
export function cb(text: string): Uint8Array {
  return b(complete(text));
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
