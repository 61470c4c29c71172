/**
 * The replication wire protocol between a leader (primary) and its followers.
 *
 * ## Framing
 *
 * A TCP stream carries a sequence of frames. Every frame is
 *
 * ```
 * u32 length   number of bytes that follow: type + body + crc (big-endian)
 * u8  type     message type (see MessageType)
 * ... body     type-specific, big-endian, described below
 * u32 crc      CRC-32C of type + body
 * ```
 *
 * `length` is checked against {@linkcode ProtocolLimits.maxFrameBytes} before
 * anything is buffered, so a peer cannot make us allocate without bound.
 *
 * ### Why a frame CRC and not the journal's record CRC
 *
 * The journal exposes decoded records (index, epoch, kind, session, seq,
 * timestamp, payload), not its on-disk bytes, and the follower's journal
 * computes a fresh CRC over whatever it is handed by `appendReplicated`. A bit
 * flipped in transit (TCP's 16-bit checksum misses about one error in 65,536;
 * NICs with checksum offload and buggy middleboxes miss more) would therefore be
 * sealed into the follower's journal under a valid CRC and replayed to a
 * counterparty after failover. CRC-32C over each frame closes that gap at a
 * cost of one table look-up per byte, and it also catches our own framing bugs.
 *
 * ## Encodings used in bodies
 *
 * - `u8`, `u16`, `u32`: unsigned big-endian integers.
 * - `u64`: two big-endian u32 halves, high first. Values above 2^53 − 1 are a
 *   protocol error (indices, sequence numbers and timestamps never get there).
 * - `str`: `u16` byte length, then UTF-8 bytes (at most
 *   {@linkcode ProtocolLimits.maxStringBytes}).
 * - `bytes32`: exactly 32 raw bytes (nonces and HMAC-SHA256 proofs).
 *
 * ## Messages
 *
 * | type | name | direction | body |
 * | ---: | --- | --- | --- |
 * | 1 | Hello | follower → leader | u16 version, u8 role (0 follower, 1 leader probe), str clusterId, str nodeId, u64 lastIndex, u32 lastEpoch, u32 nodeEpoch, bytes32 nonce |
 * | 2 | Challenge | leader → follower | str nodeId, bytes32 nonce, bytes32 proof |
 * | 3 | Response | follower → leader | bytes32 proof |
 * | 4 | Welcome | leader → follower | u32 leaderEpoch, u64 leaderLastIndex, u64 startIndex |
 * | 5 | Truncate | leader → follower | u32 leaderEpoch, u64 afterIndex |
 * | 6 | RecordBatch | leader → follower | u16 count, then per record: u64 index, u32 epoch, u8 kind, u32 sessionId, u64 seqNum, u64 timestampMs, u32 payloadLength, payload |
 * | 7 | Ack | follower → leader | u64 durableIndex |
 * | 8 | Heartbeat | both | u64 lastIndex, u64 timestampMs |
 * | 9 | Close | both | u16 code, str reason |
 *
 * `lastEpoch` in Hello is the epoch of the follower's record at `lastIndex`
 * (0 when its journal is empty); `nodeEpoch` is the highest epoch the node has
 * seen (its journal's epoch). The handshake is described in `auth.ts`; the
 * conversation in `leader.ts`.
 *
 * Decoding is strict: a frame whose body is shorter or longer than its type
 * requires, an unknown type, a bad CRC or a limit crossed yields a
 * {@linkcode DecodeError} value and poisons the decoder (a length-prefixed
 * stream cannot resynchronise); the connection must then be closed.
 *
 * @module
 */

import { crc32c } from "../journal/crc32c.ts";

/**
 * Version spoken by this implementation; Hello with another version is refused.
 * Version 2 binds the node ids, the Hello's purpose and claims into the proofs
 * (see `auth.ts`); version 1 proofs could be reflected.
 */
export const PROTOCOL_VERSION = 2;

/** Byte length of nonces and HMAC-SHA256 proofs. */
export const NONCE_BYTES = 32;

/** Default {@linkcode ProtocolLimits.maxFrameBytes}: 8 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Default {@linkcode ProtocolLimits.maxBatchRecords}. */
export const DEFAULT_MAX_BATCH_RECORDS = 4096;
/** Default {@linkcode ProtocolLimits.maxBatchBytes}: total payload bytes in one batch, 1 MiB. */
export const DEFAULT_MAX_BATCH_BYTES = 1024 * 1024;
/** Default {@linkcode ProtocolLimits.maxStringBytes}. */
export const DEFAULT_MAX_STRING_BYTES = 1024;

/** Limits enforced by encoder and decoder. */
export interface ProtocolLimits {
  /** Largest frame accepted (type + body + crc). */
  readonly maxFrameBytes: number;
  /** Most records in one RecordBatch. */
  readonly maxBatchRecords: number;
  /** Most payload bytes (sum over records) in one RecordBatch; one oversize record is still allowed alone. */
  readonly maxBatchBytes: number;
  /** Longest UTF-8 string (cluster id, node id, close reason). */
  readonly maxStringBytes: number;
}

/** The default {@linkcode ProtocolLimits}. */
export const DEFAULT_PROTOCOL_LIMITS: ProtocolLimits = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxBatchRecords: DEFAULT_MAX_BATCH_RECORDS,
  maxBatchBytes: DEFAULT_MAX_BATCH_BYTES,
  maxStringBytes: DEFAULT_MAX_STRING_BYTES,
};

/** Numeric message types on the wire. */
export const MessageType = {
  Hello: 1,
  Challenge: 2,
  Response: 3,
  Welcome: 4,
  Truncate: 5,
  RecordBatch: 6,
  Ack: 7,
  Heartbeat: 8,
  Close: 9,
} as const;

/** Why a connection was closed, carried by Close. */
export const CloseCode = {
  /** Orderly shutdown. */
  Normal: 0,
  /** The peer sent something the protocol does not allow here. */
  ProtocolError: 1,
  /** Hello named another cluster. */
  WrongCluster: 2,
  /** The handshake proof did not verify (wrong shared secret). */
  AuthenticationFailed: 3,
  /** The receiver is at a higher epoch than the sender: the sender must step down. */
  StaleEpoch: 4,
  /** The receiver is not a leader and cannot serve followers. */
  NotLeader: 5,
  /** Unsupported protocol version. */
  VersionMismatch: 6,
  /** A limit was crossed (frame size, batch size, followers). */
  LimitExceeded: 7,
  /** The follower's journal cannot be reconciled (e.g. needed records were retained away). */
  CannotCatchUp: 8,
  /** No frame arrived within the heartbeat timeout. */
  Timeout: 9,
  /** The sender met a higher epoch in the receiver and steps down (the receiver wins). */
  SteppingDown: 10,
  /**
   * The peer's node id is the receiver's own or not a configured member, or
   * its nonce is one the receiver issued: a reflected handshake, a node
   * talking to itself, or a stranger.
   */
  PeerRefused: 11,
} as const;

/** One of the {@linkcode CloseCode} values. */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/** A journal record as replicated: exactly the journal's fields. */
export interface ReplicatedRecord {
  /** Position in the journal, from 1. */
  readonly index: number;
  /** Epoch in which the leader wrote it. */
  readonly epoch: number;
  /** Journal record kind (a `RecordKind` value, 0–255). */
  readonly kind: number;
  /** Session the record belongs to (0 when none). */
  readonly sessionId: number;
  /** FIX sequence number (0 when none). */
  readonly seqNum: number;
  /** Wall-clock time of the original append, epoch milliseconds. */
  readonly timestampMs: number;
  /** Record body. */
  readonly payload: Uint8Array;
}

/** Role announced in Hello. */
export type HelloRole = "follower" | "leader";

/** Follower → leader: who I am and where my journal ends. */
export interface HelloMessage {
  /** Discriminant. */
  readonly type: "hello";
  /** Protocol version spoken by the sender. */
  readonly protocolVersion: number;
  /** `follower` asks to be fed; `leader` is a probe from another leader announcing its epoch. */
  readonly role: HelloRole;
  /** Cluster the sender belongs to. */
  readonly clusterId: string;
  /** The sender's node id. */
  readonly nodeId: string;
  /** Index of the sender's last record (0 when empty). */
  readonly lastIndex: number;
  /** Epoch of that record (0 when empty). */
  readonly lastEpoch: number;
  /** Highest epoch the sender has seen. */
  readonly nodeEpoch: number;
  /** 32 fresh random bytes for the handshake. */
  readonly nonce: Uint8Array;
}

/** Leader → follower: the leader's nonce and its proof of the secret. */
export interface ChallengeMessage {
  /** Discriminant. */
  readonly type: "challenge";
  /** The leader's node id. */
  readonly nodeId: string;
  /** 32 fresh random bytes from the leader. */
  readonly nonce: Uint8Array;
  /** The leader's HMAC proof (see `auth.ts`). */
  readonly proof: Uint8Array;
}

/** Follower → leader: the follower's proof of the secret. */
export interface ResponseMessage {
  /** Discriminant. */
  readonly type: "response";
  /** The follower's HMAC proof (see `auth.ts`). */
  readonly proof: Uint8Array;
}

/** Leader → follower: accepted; records from `startIndex` follow. */
export interface WelcomeMessage {
  /** Discriminant. */
  readonly type: "welcome";
  /** The leader's epoch. */
  readonly leaderEpoch: number;
  /** The leader's last index when it answered. */
  readonly leaderLastIndex: number;
  /** First index the leader will stream (follower's lastIndex + 1). */
  readonly startIndex: number;
}

/** Leader → follower: your records after `afterIndex` are not mine; quarantine them. */
export interface TruncateMessage {
  /** Discriminant. */
  readonly type: "truncate";
  /** The leader's epoch. */
  readonly leaderEpoch: number;
  /** Keep records up to this index; quarantine the rest. */
  readonly afterIndex: number;
}

/** Leader → follower: consecutive journal records. */
export interface RecordBatchMessage {
  /** Discriminant. */
  readonly type: "records";
  /** Consecutive records, ascending by index. */
  readonly records: readonly ReplicatedRecord[];
}

/** Follower → leader: everything up to `durableIndex` is durable here. */
export interface AckMessage {
  /** Discriminant. */
  readonly type: "ack";
  /** Highest index durable on the follower. */
  readonly durableIndex: number;
}

/** Both ways: liveness plus the sender's last index and clock, for lag. */
export interface HeartbeatMessage {
  /** Discriminant. */
  readonly type: "heartbeat";
  /** The sender's last index. */
  readonly lastIndex: number;
  /** The sender's clock, epoch milliseconds. */
  readonly timestampMs: number;
}

/** Both ways: the sender is closing the connection, and why. */
export interface CloseMessage {
  /** Discriminant. */
  readonly type: "close";
  /** Why, as a number. */
  readonly code: CloseCode;
  /** Why, for people. */
  readonly reason: string;
}

/** Any replication message. */
export type ReplicationMessage =
  | HelloMessage
  | ChallengeMessage
  | ResponseMessage
  | WelcomeMessage
  | TruncateMessage
  | RecordBatchMessage
  | AckMessage
  | HeartbeatMessage
  | CloseMessage;

/** Thrown by {@linkcode encodeFrame} when a message cannot be encoded within the limits. */
export class FrameEncodeError extends RangeError {
  /** The message type that failed. */
  readonly messageType: ReplicationMessage["type"];
  /** Creates the error for `messageType`. */
  constructor(messageType: ReplicationMessage["type"], message: string) {
    super(message);
    this.name = "FrameEncodeError";
    this.messageType = messageType;
  }
}

const MAX_U64_HI = 0x1fffff; // 2^53 - 1 >>> 32
const TWO_32 = 0x1_0000_0000;
const HEADER_BYTES = 4;
const TYPE_BYTES = 1;
const CRC_BYTES = 4;
const RECORD_FIXED_BYTES = 8 + 4 + 1 + 4 + 8 + 8 + 4;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Frames up to this size are carved out of a shared slab instead of an
 * ArrayBuffer each: allocating a buffer costs more than encoding a small
 * batch, and the checksum reuses its word view of the slab. A carved region is
 * never handed out twice (the slab is replaced when full, and lives on while
 * any frame or payload view refers to it).
 */
const SLAB_FRAME_MAX_BYTES = 8 * 1024;
const SLAB_BYTES = 64 * 1024;

class Slab {
  #bytes = new Uint8Array(SLAB_BYTES);
  #view = new DataView(this.#bytes.buffer);
  #used = 0;

  /** A fresh region of `size` bytes (8-byte aligned) and a view over the whole slab; `at` is its start. */
  take(size: number): { bytes: Uint8Array; view: DataView; at: number } {
    if (size > SLAB_FRAME_MAX_BYTES) {
      const bytes = new Uint8Array(size);
      return { bytes, view: new DataView(bytes.buffer), at: 0 };
    }
    if (this.#used + size > SLAB_BYTES) {
      this.#bytes = new Uint8Array(SLAB_BYTES);
      this.#view = new DataView(this.#bytes.buffer);
      this.#used = 0;
    }
    const at = this.#used;
    this.#used = (at + size + 7) & ~7;
    return { bytes: this.#bytes.subarray(at, at + size), view: this.#view, at };
  }
}

const encodeSlab = new Slab();
const decodeSlab = new Slab();

class Writer {
  /** The frame. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  /** Where the frame starts in `#view`. */
  readonly #at: number;
  /** Bytes written so far. */
  offset = 0;
  constructor(size: number) {
    const region = encodeSlab.take(size);
    this.bytes = region.bytes;
    this.#view = region.view;
    this.#at = region.at;
  }
  u8(v: number): void {
    this.#view.setUint8(this.#at + this.offset, v);
    this.offset += 1;
  }
  u16(v: number): void {
    this.#view.setUint16(this.#at + this.offset, v);
    this.offset += 2;
  }
  u32(v: number): void {
    this.#view.setUint32(this.#at + this.offset, v);
    this.offset += 4;
  }
  u64(v: number): void {
    this.#view.setUint32(this.#at + this.offset, Math.floor(v / TWO_32));
    this.#view.setUint32(this.#at + this.offset + 4, v >>> 0);
    this.offset += 8;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.offset);
    this.offset += b.length;
  }
}

function checkU(type: ReplicationMessage["type"], name: string, v: number, max: number): void {
  if (!Number.isSafeInteger(v) || v < 0 || v > max) {
    throw new FrameEncodeError(
      type,
      `Cannot encode ${type} field ${name}: ${v} is not an integer in 0..${max}`,
    );
  }
}

function checkBytes32(type: ReplicationMessage["type"], name: string, b: Uint8Array): void {
  if (b.length !== NONCE_BYTES) {
    throw new FrameEncodeError(
      type,
      `Cannot encode ${type} field ${name}: expected ${NONCE_BYTES} bytes, got ${b.length}`,
    );
  }
}

function encodeString(
  type: ReplicationMessage["type"],
  name: string,
  s: string,
  limits: ProtocolLimits,
): Uint8Array {
  const b = textEncoder.encode(s);
  if (b.length > limits.maxStringBytes || b.length > 0xffff) {
    throw new FrameEncodeError(
      type,
      `Cannot encode ${type} field ${name}: ${b.length} bytes exceeds ${limits.maxStringBytes}`,
    );
  }
  return b;
}

/**
 * Encodes one message as a complete frame (length, type, body, CRC).
 *
 * @throws {FrameEncodeError} when a field is out of range or a limit is crossed.
 */
export function encodeFrame(
  message: ReplicationMessage,
  limits: ProtocolLimits = DEFAULT_PROTOCOL_LIMITS,
): Uint8Array {
  const t = message.type;
  const U32 = 0xffffffff;
  const U64 = Number.MAX_SAFE_INTEGER;
  let bodyBytes: number;
  let write: (w: Writer) => void;
  switch (message.type) {
    case "hello": {
      checkU(t, "protocolVersion", message.protocolVersion, 0xffff);
      checkU(t, "lastIndex", message.lastIndex, U64);
      checkU(t, "lastEpoch", message.lastEpoch, U32);
      checkU(t, "nodeEpoch", message.nodeEpoch, U32);
      checkBytes32(t, "nonce", message.nonce);
      const cluster = encodeString(t, "clusterId", message.clusterId, limits);
      const node = encodeString(t, "nodeId", message.nodeId, limits);
      bodyBytes = 2 + 1 + 2 + cluster.length + 2 + node.length + 8 + 4 + 4 + NONCE_BYTES;
      write = (w) => {
        w.u16(message.protocolVersion);
        w.u8(message.role === "leader" ? 1 : 0);
        w.u16(cluster.length);
        w.raw(cluster);
        w.u16(node.length);
        w.raw(node);
        w.u64(message.lastIndex);
        w.u32(message.lastEpoch);
        w.u32(message.nodeEpoch);
        w.raw(message.nonce);
      };
      break;
    }
    case "challenge": {
      checkBytes32(t, "nonce", message.nonce);
      checkBytes32(t, "proof", message.proof);
      const node = encodeString(t, "nodeId", message.nodeId, limits);
      bodyBytes = 2 + node.length + 2 * NONCE_BYTES;
      write = (w) => {
        w.u16(node.length);
        w.raw(node);
        w.raw(message.nonce);
        w.raw(message.proof);
      };
      break;
    }
    case "response": {
      checkBytes32(t, "proof", message.proof);
      bodyBytes = NONCE_BYTES;
      write = (w) => w.raw(message.proof);
      break;
    }
    case "welcome": {
      checkU(t, "leaderEpoch", message.leaderEpoch, U32);
      checkU(t, "leaderLastIndex", message.leaderLastIndex, U64);
      checkU(t, "startIndex", message.startIndex, U64);
      bodyBytes = 4 + 8 + 8;
      write = (w) => {
        w.u32(message.leaderEpoch);
        w.u64(message.leaderLastIndex);
        w.u64(message.startIndex);
      };
      break;
    }
    case "truncate": {
      checkU(t, "leaderEpoch", message.leaderEpoch, U32);
      checkU(t, "afterIndex", message.afterIndex, U64);
      bodyBytes = 4 + 8;
      write = (w) => {
        w.u32(message.leaderEpoch);
        w.u64(message.afterIndex);
      };
      break;
    }
    case "records": {
      const records = message.records;
      if (records.length > limits.maxBatchRecords || records.length > 0xffff) {
        throw new FrameEncodeError(
          t,
          `Cannot encode records: ${records.length} records exceeds ${limits.maxBatchRecords}`,
        );
      }
      let payloadBytes = 0;
      for (const r of records) {
        checkU(t, "index", r.index, U64);
        checkU(t, "epoch", r.epoch, U32);
        checkU(t, "kind", r.kind, 0xff);
        checkU(t, "sessionId", r.sessionId, U32);
        checkU(t, "seqNum", r.seqNum, U64);
        checkU(t, "timestampMs", r.timestampMs, U64);
        payloadBytes += r.payload.length;
      }
      if (payloadBytes > limits.maxBatchBytes && records.length > 1) {
        throw new FrameEncodeError(
          t,
          `Cannot encode records: ${payloadBytes} payload bytes exceeds ${limits.maxBatchBytes}`,
        );
      }
      bodyBytes = 2 + records.length * RECORD_FIXED_BYTES + payloadBytes;
      write = (w) => {
        w.u16(records.length);
        for (const r of records) {
          w.u64(r.index);
          w.u32(r.epoch);
          w.u8(r.kind);
          w.u32(r.sessionId);
          w.u64(r.seqNum);
          w.u64(r.timestampMs);
          w.u32(r.payload.length);
          w.raw(r.payload);
        }
      };
      break;
    }
    case "ack": {
      checkU(t, "durableIndex", message.durableIndex, U64);
      bodyBytes = 8;
      write = (w) => w.u64(message.durableIndex);
      break;
    }
    case "heartbeat": {
      checkU(t, "lastIndex", message.lastIndex, U64);
      checkU(t, "timestampMs", message.timestampMs, U64);
      bodyBytes = 16;
      write = (w) => {
        w.u64(message.lastIndex);
        w.u64(message.timestampMs);
      };
      break;
    }
    case "close": {
      checkU(t, "code", message.code, 0xffff);
      const reason = encodeString(t, "reason", message.reason, limits);
      bodyBytes = 2 + 2 + reason.length;
      write = (w) => {
        w.u16(message.code);
        w.u16(reason.length);
        w.raw(reason);
      };
      break;
    }
    default: {
      const never: never = message;
      throw new TypeError(`Cannot encode message: unknown type ${String(never)}`);
    }
  }
  const frameBytes = TYPE_BYTES + bodyBytes + CRC_BYTES;
  if (frameBytes > limits.maxFrameBytes) {
    throw new FrameEncodeError(
      t,
      `Cannot encode ${t}: frame of ${frameBytes} bytes exceeds ${limits.maxFrameBytes}`,
    );
  }
  const w = new Writer(HEADER_BYTES + frameBytes);
  w.u32(frameBytes);
  w.u8(MessageType[TYPE_NAMES[t]]);
  write(w);
  w.u32(crc32c(w.bytes, 0, HEADER_BYTES, w.offset));
  return w.bytes;
}

const TYPE_NAMES = {
  hello: "Hello",
  challenge: "Challenge",
  response: "Response",
  welcome: "Welcome",
  truncate: "Truncate",
  records: "RecordBatch",
  ack: "Ack",
  heartbeat: "Heartbeat",
  close: "Close",
} as const satisfies Record<ReplicationMessage["type"], keyof typeof MessageType>;

/**
 * Bytes a RecordBatch frame holding `records` would take. Used by senders to
 * cut batches before crossing {@linkcode ProtocolLimits.maxFrameBytes}.
 */
export function recordFrameBytes(recordCount: number, payloadBytes: number): number {
  return HEADER_BYTES + TYPE_BYTES + 2 + recordCount * RECORD_FIXED_BYTES + payloadBytes +
    CRC_BYTES;
}

/** What went wrong while decoding. */
export type DecodeErrorReason =
  | "frame-too-large"
  | "frame-too-small"
  | "bad-crc"
  | "unknown-type"
  | "malformed-body"
  | "batch-too-large";

/** A decoding fault: a value, not an exception. The connection must be closed. */
export interface DecodeError {
  /** Always `error`. */
  readonly kind: "error";
  /** The kind of fault. */
  readonly reason: DecodeErrorReason;
  /** What exactly was wrong. */
  readonly detail: string;
}

/** One step of {@linkcode FrameDecoder.next}. */
export type DecodeResult =
  | { readonly kind: "message"; readonly message: ReplicationMessage; readonly frameBytes: number }
  | DecodeError;

class MalformedBody extends Error {}

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly view: DataView,
    start: number,
    readonly end: number,
  ) {
    this.offset = start;
  }
  need(n: number, what: string): void {
    if (this.offset + n > this.end) {
      throw new MalformedBody(`body ends before ${what}`);
    }
  }
  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const hi = this.view.getUint32(this.offset);
    const lo = this.view.getUint32(this.offset + 4);
    if (hi > MAX_U64_HI) throw new MalformedBody(`${what} exceeds 2^53 - 1`);
    this.offset += 8;
    return hi * TWO_32 + lo;
  }
  raw(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }
  str(what: string, maxBytes: number): string {
    const n = this.u16(`${what} length`);
    if (n > maxBytes) throw new MalformedBody(`${what} of ${n} bytes exceeds ${maxBytes}`);
    try {
      return textDecoder.decode(this.raw(n, what));
    } catch (e) {
      if (e instanceof MalformedBody) throw e;
      throw new MalformedBody(`${what} is not valid UTF-8`);
    }
  }
  done(): void {
    if (this.offset !== this.end) {
      throw new MalformedBody(`${this.end - this.offset} unexpected bytes after body`);
    }
  }
}

class BatchTooLarge extends Error {}

/**
 * Streaming decoder: push arbitrary chunks, pull whole messages.
 *
 * Decoded messages own their bytes (the frame is copied once out of the
 * receive buffer; record payloads and nonces are views into that copy).
 * After an error every later `next()` returns the same error.
 */
export class FrameDecoder {
  readonly #limits: ProtocolLimits;
  #buffer: Uint8Array = new Uint8Array(64 * 1024);
  #start = 0;
  #end = 0;
  #error: DecodeError | undefined;

  /** Creates a decoder enforcing `limits` (missing ones take the defaults). */
  constructor(limits: Partial<ProtocolLimits> = {}) {
    this.#limits = { ...DEFAULT_PROTOCOL_LIMITS, ...limits };
  }

  /** Bytes received but not yet returned as messages. */
  get bufferedBytes(): number {
    return this.#end - this.#start;
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (this.#error) return;
    const free = this.#buffer.length - this.#end;
    if (chunk.length > free) {
      const used = this.#end - this.#start;
      const need = used + chunk.length;
      if (need <= this.#buffer.length && this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        let size = this.#buffer.length;
        while (size < need) size *= 2;
        const next = new Uint8Array(size);
        next.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = next;
      }
      this.#start = 0;
      this.#end = used;
    }
    this.#buffer.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** The next complete message, a decoding error, or `undefined` when more bytes are needed. */
  next(): DecodeResult | undefined {
    if (this.#error) return this.#error;
    const available = this.#end - this.#start;
    if (available < HEADER_BYTES) return undefined;
    const view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset);
    const frameBytes = view.getUint32(this.#start);
    if (frameBytes > this.#limits.maxFrameBytes) {
      return this.#fail(
        "frame-too-large",
        `frame of ${frameBytes} bytes exceeds ${this.#limits.maxFrameBytes}`,
      );
    }
    if (frameBytes < TYPE_BYTES + CRC_BYTES) {
      return this.#fail("frame-too-small", `frame of ${frameBytes} bytes is shorter than 5`);
    }
    if (available < HEADER_BYTES + frameBytes) return undefined;
    const frame = decodeSlab.take(frameBytes).bytes;
    frame.set(
      this.#buffer.subarray(this.#start + HEADER_BYTES, this.#start + HEADER_BYTES + frameBytes),
    );
    this.#start += HEADER_BYTES + frameBytes;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    const fview = new DataView(frame.buffer, frame.byteOffset, frameBytes);
    const bodyEnd = frameBytes - CRC_BYTES;
    const expected = fview.getUint32(bodyEnd);
    const actual = crc32c(frame, 0, 0, bodyEnd);
    if (expected !== actual) {
      return this.#fail(
        "bad-crc",
        `frame CRC-32C is 0x${actual.toString(16)}, expected 0x${expected.toString(16)}`,
      );
    }
    const type = frame[0]!;
    try {
      const message = decodeBody(type, new Reader(frame, fview, 1, bodyEnd), this.#limits);
      if (message === undefined) {
        return this.#fail("unknown-type", `unknown message type ${type}`);
      }
      return { kind: "message", message, frameBytes: HEADER_BYTES + frameBytes };
    } catch (e) {
      if (e instanceof BatchTooLarge) return this.#fail("batch-too-large", e.message);
      if (e instanceof MalformedBody) {
        return this.#fail("malformed-body", `type ${type}: ${e.message}`);
      }
      throw e;
    }
  }

  #fail(reason: DecodeErrorReason, detail: string): DecodeError {
    this.#error = { kind: "error", reason, detail };
    this.#start = this.#end = 0;
    return this.#error;
  }
}

function decodeBody(
  type: number,
  r: Reader,
  limits: ProtocolLimits,
): ReplicationMessage | undefined {
  let m: ReplicationMessage;
  switch (type) {
    case MessageType.Hello: {
      const protocolVersion = r.u16("protocolVersion");
      const roleByte = r.u8("role");
      if (roleByte > 1) throw new MalformedBody(`role ${roleByte} is not 0 or 1`);
      m = {
        type: "hello",
        protocolVersion,
        role: roleByte === 1 ? "leader" : "follower",
        clusterId: r.str("clusterId", limits.maxStringBytes),
        nodeId: r.str("nodeId", limits.maxStringBytes),
        lastIndex: r.u64("lastIndex"),
        lastEpoch: r.u32("lastEpoch"),
        nodeEpoch: r.u32("nodeEpoch"),
        nonce: r.raw(NONCE_BYTES, "nonce"),
      };
      break;
    }
    case MessageType.Challenge:
      m = {
        type: "challenge",
        nodeId: r.str("nodeId", limits.maxStringBytes),
        nonce: r.raw(NONCE_BYTES, "nonce"),
        proof: r.raw(NONCE_BYTES, "proof"),
      };
      break;
    case MessageType.Response:
      m = { type: "response", proof: r.raw(NONCE_BYTES, "proof") };
      break;
    case MessageType.Welcome:
      m = {
        type: "welcome",
        leaderEpoch: r.u32("leaderEpoch"),
        leaderLastIndex: r.u64("leaderLastIndex"),
        startIndex: r.u64("startIndex"),
      };
      break;
    case MessageType.Truncate:
      m = { type: "truncate", leaderEpoch: r.u32("leaderEpoch"), afterIndex: r.u64("afterIndex") };
      break;
    case MessageType.RecordBatch: {
      const count = r.u16("count");
      if (count > limits.maxBatchRecords) {
        throw new BatchTooLarge(`batch of ${count} records exceeds ${limits.maxBatchRecords}`);
      }
      const records: ReplicatedRecord[] = new Array(count);
      let payloadBytes = 0;
      for (let i = 0; i < count; i++) {
        const index = r.u64("index");
        const epoch = r.u32("epoch");
        const kind = r.u8("kind");
        const sessionId = r.u32("sessionId");
        const seqNum = r.u64("seqNum");
        const timestampMs = r.u64("timestampMs");
        const length = r.u32("payloadLength");
        payloadBytes += length;
        if (payloadBytes > limits.maxBatchBytes && count > 1) {
          throw new BatchTooLarge(
            `batch payload of ${payloadBytes}+ bytes exceeds ${limits.maxBatchBytes}`,
          );
        }
        const payload = r.raw(length, "payload");
        records[i] = { index, epoch, kind, sessionId, seqNum, timestampMs, payload };
      }
      m = { type: "records", records };
      break;
    }
    case MessageType.Ack:
      m = { type: "ack", durableIndex: r.u64("durableIndex") };
      break;
    case MessageType.Heartbeat:
      m = { type: "heartbeat", lastIndex: r.u64("lastIndex"), timestampMs: r.u64("timestampMs") };
      break;
    case MessageType.Close: {
      const code = r.u16("code") as CloseCode;
      m = { type: "close", code, reason: r.str("reason", limits.maxStringBytes) };
      break;
    }
    default:
      return undefined;
  }
  r.done();
  return m;
}
