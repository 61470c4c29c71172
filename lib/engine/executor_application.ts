/**
 * The `executor` application: answers each NewOrderSingle (35=D) with two
 * ExecutionReports (35=8), New then Filled, with the fields each FIX version
 * requires (ExecTransType on 4.0–4.2, ExecType and LeavesQty from 4.1,
 * ExecType F = Trade from 4.3). Orders are filled in full at their limit price
 * (44), or at 1 when they have none. Other application messages are refused as
 * unsupported.
 *
 * @module
 */

import type { FixMessage } from "../fix/message.ts";
import type { Field } from "../session/session.ts";
import type { Application, SessionHandle } from "./application.ts";

const RANK: Readonly<Record<string, number>> = {
  "FIX.4.0": 40,
  "FIX.4.1": 41,
  "FIX.4.2": 42,
  "FIX.4.3": 43,
  "FIX.4.4": 44,
};

/** The two ExecutionReports' fields for an order, for a version rank (40…44, 50 for FIX 5). */
export function executionReports(
  order: FixMessage,
  rank: number,
  orderId: string,
  execIdBase: string,
): [Field[], Field[]] {
  const qty = order.get(38) ?? "0";
  const px = order.get(44) ?? "1";
  const common = (): Field[] => {
    const f: Field[] = [[37, orderId], [11, order.get(11) ?? ""], [55, order.get(55) ?? ""], [
      54,
      order.get(54) ?? "1",
    ], [38, qty]];
    for (const tag of [1, 40, 44, 59]) {
      const v = order.get(tag);
      if (v !== undefined) f.push([tag, v]);
    }
    return f;
  };
  const fresh = common();
  const fill = common();
  fresh.push([17, `${execIdBase}-1`], [39, "0"], [14, 0], [6, 0]);
  fill.push([17, `${execIdBase}-2`], [39, "2"], [14, qty], [6, px]);
  if (rank <= 42) {
    fresh.push([20, "0"]);
    fill.push([20, "0"]);
  }
  if (rank >= 41) {
    fresh.push([150, "0"], [151, qty]);
    fill.push([150, rank >= 43 ? "F" : "2"], [151, 0]);
  }
  fresh.push([32, 0], [31, 0]);
  fill.push([32, qty], [31, px]);
  return [fresh, fill];
}

/** Creates the executor application. */
export function executorApplication(): Application {
  let orders = 0;
  return {
    onMessage(message: FixMessage, session: SessionHandle): void {
      if (message.msgType !== "D") {
        session.rejectUnsupported(message);
        return;
      }
      orders++;
      const rank = RANK[session.beginString] ?? 50;
      const [fresh, fill] = executionReports(message, rank, `O${orders}`, `E${orders}`);
      session.send("8", fresh);
      session.send("8", fill);
    },
  };
}
