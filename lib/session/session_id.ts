/**
 * A session's identity: BeginString and the two CompIDs, and optionally the sub and location IDs
 * of each side and a qualifier, as QuickFIX/J's SessionID has them.
 *
 * The key is written as QuickFIX/J writes a SessionID:
 * `BeginString:SenderCompID[/SenderSubID[/SenderLocationID]]->TargetCompID[/TargetSubID[/TargetLocationID]][:SessionQualifier]`
 * (a location without a sub ID leaves the sub ID empty: `VENUE//LDN`). A session with none of
 * the optional parts keeps the plain `BeginString:Sender->Target` key, so journals, `/sessions`,
 * the API and `--session` arguments written before these settings existed name the same sessions.
 *
 * @module
 */

/** The optional parts of a session's identity. */
export interface SessionIdParts {
  /** SenderSubID (50) we send, and the TargetSubID (57) we expect. */
  readonly senderSubId?: string | undefined;
  /** SenderLocationID (142) we send, and the TargetLocationID (143) we expect. */
  readonly senderLocationId?: string | undefined;
  /** TargetSubID (57) we send, and the SenderSubID (50) we expect. */
  readonly targetSubId?: string | undefined;
  /** TargetLocationID (143) we send, and the SenderLocationID (142) we expect. */
  readonly targetLocationId?: string | undefined;
  /** Tells apart sessions otherwise identical (never sent on the wire). */
  readonly sessionQualifier?: string | undefined;
}

function side(compId: string, subId: string | undefined, locationId: string | undefined): string {
  if (locationId) return `${compId}/${subId ?? ""}/${locationId}`;
  return subId ? `${compId}/${subId}` : compId;
}

/** The key identifying a session (see the module doc); `BeginString:Sender->Target` without parts. */
export function sessionKeyOf(
  beginString: string,
  senderCompId: string,
  targetCompId: string,
  parts: SessionIdParts = {},
): string {
  const sender = side(senderCompId, parts.senderSubId, parts.senderLocationId);
  const target = side(targetCompId, parts.targetSubId, parts.targetLocationId);
  const qualifier = parts.sessionQualifier ? `:${parts.sessionQualifier}` : "";
  return `${beginString}:${sender}->${target}${qualifier}`;
}

/**
 * The header fields that carry the sub and location IDs on what we send, in header order:
 * SenderSubID (50), SenderLocationID (142), TargetSubID (57), TargetLocationID (143).
 */
export function identityHeader(parts: SessionIdParts): [number, string][] {
  const out: [number, string][] = [];
  if (parts.senderSubId) out.push([50, parts.senderSubId]);
  if (parts.senderLocationId) out.push([142, parts.senderLocationId]);
  if (parts.targetSubId) out.push([57, parts.targetSubId]);
  if (parts.targetLocationId) out.push([143, parts.targetLocationId]);
  return out;
}

/**
 * The identity fields a received message must carry, as `[tag, value]`: the counterparty sends
 * our target sub/location IDs as its sender ones, and ours as its targets.
 */
export function expectedInboundIdentity(parts: SessionIdParts): [number, string][] {
  const out: [number, string][] = [];
  if (parts.targetSubId) out.push([50, parts.targetSubId]);
  if (parts.targetLocationId) out.push([142, parts.targetLocationId]);
  if (parts.senderSubId) out.push([57, parts.senderSubId]);
  if (parts.senderLocationId) out.push([143, parts.senderLocationId]);
  return out;
}
