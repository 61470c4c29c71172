/**
 * The `executor` application: answers each NewOrderSingle (35=D) with two
 * ExecutionReports (35=8), New then Filled, with the fields each FIX version
 * requires (ExecTransType on 4.0–4.2, ExecType and LeavesQty from 4.1,
 * ExecType F = Trade from 4.3). Orders are filled in full at their limit price
 * (44), or at 1 when they have none. Other application messages are refused as
 * unsupported.
 *
 * An order marked {@linkcode possiblyExecutedElsewhere} (a PossDup resend this
 * node never saw, after a lossy failover) is not filled: it is answered with one
 * ExecutionReport OrdStatus Rejected whose Text says why, so that an order the
 * previous primary already filled is never filled twice.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import type { FieldValue } from "../fix/encoder.ts";
import type { Field } from "../session/session.ts";
import {
  type Application,
  type MessageContext,
  possiblyExecutedElsewhere,
  type SessionHandle,
} from "./application.ts";

/** Text of the ExecutionReport refusing an order that may have been executed elsewhere. */
export const POSSIBLY_EXECUTED_ELSEWHERE_TEXT =
  "Not executed: possibly executed elsewhere (PossDup resend of an order this node has no " +
  "record of, after outbound messages were lost in a failover); check before resending";

const RANK: Readonly<Record<string, number>> = {
  "FIX.4.0": 40,
  "FIX.4.1": 41,
  "FIX.4.2": 42,
  "FIX.4.3": 43,
  "FIX.4.4": 44,
};

/** The fields whose values never change, made once (fields are read-only pairs). */
const K = {
  ordStatusNew: [39, "0"],
  ordStatusFilled: [39, "2"],
  cumQtyZero: [14, 0],
  avgPxZero: [6, 0],
  execTransTypeNew: [20, "0"],
  execTypeNew: [150, "0"],
  execTypeTrade: [150, "F"],
  execTypeFill: [150, "2"],
  leavesQtyZero: [151, 0],
  lastQtyZero: [32, 0],
  lastPxZero: [31, 0],
} as const satisfies Record<string, Field>;

/** The two ExecutionReports' fields for an order, for a version rank (40…44, 50 for FIX 5). */
export function executionReports(
  order: FixMessage,
  rank: number,
  orderId: string,
  execIdBase: string,
): [Field[], Field[]] {
  const qty = order.get(38) ?? "0";
  const price = order.get(44);
  const px = price ?? "1";
  // Both reports start with the same fields; the (read-only) pairs are shared.
  const common: Field[] = [
    [37, orderId],
    [11, order.get(11) ?? ""],
    [55, order.get(55) ?? ""],
    [54, order.get(54) ?? "1"],
    [38, qty],
  ];
  const account = order.get(1);
  if (account !== undefined) common.push([1, account]);
  const ordType = order.get(40);
  if (ordType !== undefined) common.push([40, ordType]);
  if (price !== undefined) common.push([44, price]);
  const timeInForce = order.get(59);
  if (timeInForce !== undefined) common.push([59, timeInForce]);
  const fresh = common;
  const fill = common.slice();
  fresh.push([17, `${execIdBase}-1`], K.ordStatusNew, K.cumQtyZero, K.avgPxZero);
  fill.push([17, `${execIdBase}-2`], K.ordStatusFilled, [14, qty], [6, px]);
  if (rank <= 42) {
    fresh.push(K.execTransTypeNew);
    fill.push(K.execTransTypeNew);
  }
  if (rank >= 41) {
    fresh.push(K.execTypeNew, [151, qty]);
    fill.push(rank >= 43 ? K.execTypeTrade : K.execTypeFill, K.leavesQtyZero);
  }
  fresh.push(K.lastQtyZero, K.lastPxZero);
  fill.push([32, qty], [31, px]);
  return [fresh, fill];
}

/** The fields of an ExecutionReport rejecting `order` (OrdStatus and ExecType 8) with `text`. */
export function rejectReport(
  order: FixMessage,
  rank: number,
  orderId: string,
  execId: string,
  text: string,
): Field[] {
  const fields: Field[] = [
    [37, orderId],
    [11, order.get(11) ?? ""],
    [55, order.get(55) ?? ""],
    [54, order.get(54) ?? "1"],
    [38, order.get(38) ?? "0"],
    [17, execId],
    [39, "8"],
    K.cumQtyZero,
    K.avgPxZero,
  ];
  if (rank <= 42) fields.push(K.execTransTypeNew);
  if (rank >= 41) fields.push([150, "8"], K.leavesQtyZero);
  fields.push([58, text]);
  return fields;
}

/** A field whose value is set for each order (owned by one {@linkcode ReportFields}). */
type Slot = [number, FieldValue];

/** Optional order fields copied into the reports, as bits of a shape. */
const OPTIONAL_TAGS = [1, 40, 44, 59] as const;

/**
 * The two reports' fields for orders of one shape (which optional fields they carry, the version
 * rank), made once and refilled for every order: the same fields in the same order as
 * {@linkcode executionReports} builds, without a new array or pair per order.
 */
class ReportFields {
  readonly fresh: Field[];
  readonly fill: Field[];
  readonly #orderId: Slot = [37, ""];
  readonly #clOrdId: Slot = [11, ""];
  readonly #symbol: Slot = [55, ""];
  readonly #side: Slot = [54, ""];
  readonly #optional: Slot[] = [];
  readonly #execIdNew: Slot = [17, ""];
  readonly #execIdFill: Slot = [17, ""];
  /** The pairs whose value is the order's quantity (OrderQty, …) or price. */
  readonly #qty: Slot[] = [[38, ""], [14, ""], [32, ""]];
  readonly #px: Slot[] = [[6, ""], [31, ""]];

  constructor(rank: number, shape: number) {
    const common: Field[] = [this.#orderId, this.#clOrdId, this.#symbol, this.#side, this.#qty[0]!];
    for (let b = 0; b < OPTIONAL_TAGS.length; b++) {
      if ((shape & (1 << b)) === 0) continue;
      const s: Slot = [OPTIONAL_TAGS[b]!, ""];
      this.#optional.push(s);
      common.push(s);
    }
    const fresh = common.slice();
    const fill = common.slice();
    fresh.push(this.#execIdNew, K.ordStatusNew, K.cumQtyZero, K.avgPxZero);
    fill.push(this.#execIdFill, K.ordStatusFilled, this.#qty[1]!, this.#px[0]!);
    if (rank <= 42) {
      fresh.push(K.execTransTypeNew);
      fill.push(K.execTransTypeNew);
    }
    if (rank >= 41) {
      const leaves: Slot = [151, ""];
      this.#qty.push(leaves);
      fresh.push(K.execTypeNew, leaves);
      fill.push(rank >= 43 ? K.execTypeTrade : K.execTypeFill, K.leavesQtyZero);
    }
    fresh.push(K.lastQtyZero, K.lastPxZero);
    fill.push(this.#qty[2]!, this.#px[1]!);
    this.fresh = fresh;
    this.fill = fill;
  }

  /** Sets the values of `order`'s reports (the arrays are valid until the next call). */
  set(order: FixMessage, orderId: string, execIdBase: string): void {
    this.#orderId[1] = orderId;
    this.#clOrdId[1] = order.get(11) ?? "";
    this.#symbol[1] = order.get(55) ?? "";
    this.#side[1] = order.get(54) ?? "1";
    const optional = this.#optional;
    for (let i = 0; i < optional.length; i++) optional[i]![1] = order.get(optional[i]![0]) ?? "";
    this.#execIdNew[1] = `${execIdBase}-1`;
    this.#execIdFill[1] = `${execIdBase}-2`;
    const qty = order.get(38) ?? "0";
    for (let i = 0; i < this.#qty.length; i++) this.#qty[i]![1] = qty;
    const px = order.get(44) ?? "1";
    for (let i = 0; i < this.#px.length; i++) this.#px[i]![1] = px;
  }

  /** The shape of `order`: which of {@linkcode OPTIONAL_TAGS} it has, as bits. */
  static shapeOf(order: FixMessage): number {
    let shape = 0;
    for (let b = 0; b < OPTIONAL_TAGS.length; b++) {
      if (order.indexOf(OPTIONAL_TAGS[b]!) >= 0) shape |= 1 << b;
    }
    return shape;
  }
}

/**
 * Creates the executor application. OrderID (37) is `O<epoch>-<index>` and the ExecIDs (17)
 * `E<epoch>-<index>-1` and `-2`, from the journal position of the order (see
 * {@linkcode MessageContext}): they never repeat across restarts and failovers, and an order
 * handed to the executor again after a failover gets the ids it got the first time.
 *
 * The reports' field arrays are made once per shape of order and refilled for each order (no
 * allocation per order but the values' strings): they rely on `SessionHandle.send` reading the
 * fields during the call, as its contract says.
 */
export function executorApplication(): Application {
  /** By rank × 16 + shape; at most 6 ranks × 16 shapes. */
  const reports = new Map<number, ReportFields>();
  return {
    onMessage(message: FixMessage, session: SessionHandle, context: MessageContext): void {
      if (message.msgType !== "D") {
        session.rejectUnsupported(message);
        return;
      }
      const rank = RANK[session.beginString] ?? 50;
      const id = context.id;
      if (possiblyExecutedElsewhere(message)) {
        const text = POSSIBLY_EXECUTED_ELSEWHERE_TEXT;
        session.send("8", rejectReport(message, rank, `O${id}`, `E${id}-R`, text));
        return;
      }
      const key = rank * 16 + ReportFields.shapeOf(message);
      let r = reports.get(key);
      if (r === undefined) reports.set(key, r = new ReportFields(rank, key & 15));
      r.set(message, `O${id}`, `E${id}`);
      session.send("8", r.fresh);
      session.send("8", r.fill);
    },
  };
}
