/**
 * Edge-security helpers shared by several sections of the Tandem schema: CIDR
 * allow-lists (`fix.*`, `sessions[]`) and the browser-origin protection and
 * body limits of `admin.*` and `api.*`.
 *
 * @module
 */

import * as s from "./schema.ts";
import { AddressFilter } from "../transport/address_filter.ts";

/** A list of CIDR blocks (IPv4 or IPv6) that connections may come from. */
export function cidrList(doc: string) {
  return s.array(
    s.string({
      doc: "A CIDR block or single address.",
      pattern: CIDR_PATTERN,
      patternHint: "an IPv4 or IPv6 address, optionally /prefix",
      maxLength: 64,
    }),
    { doc, maxItems: 1_024, example: ["10.0.0.0/8", "2001:db8::/32"] },
  );
}

const CIDR_PATTERN = /^[0-9A-Fa-f:.]+(\/\d{1,3})?$/;

export function checkCidrs(
  ctx: { error(path: string, message: string): void },
  path: string,
  blocks: readonly string[] | undefined,
): void {
  blocks?.forEach((b, i) => {
    try {
      AddressFilter.parse([b]);
    } catch (err) {
      ctx.error(`${path}[${i}]`, (err as Error).message);
    }
  });
}

/** Browser-origin protection and limits shared by `api.*` and `admin.*`. */
export function httpEdge(name: string, maxBodyBytesDefault: number) {
  return {
    allowedHosts: s.array(
      s.string({ doc: "A host name or address, without port.", maxLength: 253 }),
      {
        doc:
          `Host header values the ${name} answers besides the address it is bound to (loopback names are allowed when bound to loopback); any other Host is refused (DNS rebinding).`,
        default: [],
        maxItems: 64,
        example: ["gateway.internal"],
      },
    ),
    allowedOrigins: s.array(
      s.string({
        doc: "An origin, e.g. https://ops.example.",
        maxLength: 512,
        pattern: /^https?:\/\/[^/\s]+$/,
        patternHint: "scheme://host[:port]",
      }),
      {
        doc:
          `Browser origins allowed to call the ${name}; a request with any other Origin header is refused (empty: no browser page may call it).`,
        default: [],
        maxItems: 64,
        example: ["https://ops.example"],
      },
    ),
    maxBodyBytes: s.byteSize({
      doc: `Largest request body the ${name} reads; larger ones get 413.`,
      default: maxBodyBytesDefault,
      min: 1_024,
      max: 268_435_456,
    }),
  } as const;
}
