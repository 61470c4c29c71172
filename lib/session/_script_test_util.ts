// Test helpers: drive a Session like a script with a fake clock.
import { encodeMessage } from "../fix/encoder.ts";
import { decodeMessage, FixMessage } from "../fix/message.ts";
import { Session, type SessionAction, type SessionConfig } from "./session.ts";
import { formatTimestamp } from "./_timestamp.ts";

export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

const HIDDEN = new Set([8, 9, 10, 49, 52, 56, 122]);

/** A sent message as `35=…|34=…|…` without 8, 9, 10, 49, 52, 56, 122. */
export function brief(bytes: Uint8Array): string {
  const m = decodeMessage(bytes);
  const out: string[] = [];
  for (let i = 0; i < m.size; i++) {
    if (!HIDDEN.has(m.tagAt(i))) out.push(`${m.tagAt(i)}=${m.stringAt(i)}`);
  }
  return out.join("|");
}

export class Script {
  readonly session: Session;
  now = T0;
  readonly stored = new Map<number, Uint8Array>();
  actions: SessionAction[] = [];
  readonly log: SessionAction[] = [];

  constructor(config: Partial<SessionConfig> = {}) {
    this.session = new Session({
      beginString: "FIX.4.4",
      senderCompId: "ISLD",
      targetCompId: "TW",
      role: "acceptor",
      outbound: (n) => this.stored.get(n),
      ...config,
    });
  }

  #take(actions: SessionAction[]): SessionAction[] {
    for (const a of actions) {
      if (a.type === "send" && a.persist) this.stored.set(a.seqNum, a.bytes);
    }
    this.actions = actions;
    this.log.push(...actions);
    return actions;
  }

  /** Builds a message from `35=X|34=n|…`, adding 49, 56 and 52 (now) unless given. */
  message(text: string, beginString = this.session.config.beginString): FixMessage {
    const fields = text.split("|").filter((f) => f !== "").map((f) => {
      const eq = f.indexOf("=");
      return [Number(f.slice(0, eq)), f.slice(eq + 1)] as [number, string];
    });
    const msgType = fields.find(([t]) => t === 35)?.[1] ?? "0";
    const rest = fields.filter(([t]) => t !== 35);
    const tags = new Set(rest.map(([t]) => t));
    const header: [number, string][] = [];
    if (!tags.has(49)) header.push([49, this.session.config.targetCompId]);
    if (!tags.has(56)) header.push([56, this.session.config.senderCompId]);
    if (!tags.has(52)) header.push([52, formatTimestamp(this.now, 3)]);
    return decodeMessage(encodeMessage(beginString, msgType, [...header, ...rest]));
  }

  connect(): SessionAction[] {
    return this.#take(this.session.connect(this.now));
  }
  in(text: string): SessionAction[] {
    return this.#take(this.session.receive(this.message(text), this.now));
  }
  receive(m: FixMessage): SessionAction[] {
    return this.#take(this.session.receive(m, this.now));
  }
  tick(): SessionAction[] {
    return this.#take(this.session.tick(this.now));
  }
  advance(ms: number): SessionAction[] {
    this.now += ms;
    return this.tick();
  }
  send(msgType: string, fields: [number, string][]): SessionAction[] {
    return this.#take(this.session.send(msgType, fields, this.now));
  }
  logon(extra = ""): SessionAction[] {
    this.connect();
    return this.in(`35=A|34=1|98=0|108=30${extra}`);
  }

  /** What the last call transmitted, briefly. */
  get sent(): string[] {
    return this.actions.flatMap((a) => a.type === "send" && a.transmit ? [brief(a.bytes)] : []);
  }
  get types(): string[] {
    return this.actions.map((a) => a.type).filter((t) => t !== "log" && t !== "state");
  }
  get disconnected(): boolean {
    return this.actions.some((a) => a.type === "disconnect");
  }
  get delivered(): string[] {
    return this.actions.flatMap((a) => a.type === "deliver" ? [a.message.get(34) ?? ""] : []);
  }
}

/** A message from `tag=value|…` text taken literally (tags may be 0 or negative). */
export function literal(text: string): FixMessage {
  const bytes = new TextEncoder().encode(text.replaceAll("|", "\x01"));
  const fields: number[] = [];
  let p = 0;
  while (p < bytes.length) {
    const eq = bytes.indexOf(0x3d, p);
    const end = bytes.indexOf(1, eq);
    fields.push(Number(new TextDecoder().decode(bytes.subarray(p, eq))), eq + 1, end);
    p = end + 1;
  }
  return new FixMessage(bytes, Int32Array.from(fields), fields.length / 3);
}
