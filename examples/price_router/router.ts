/**
 * A price-checking order router: an application that answers each NewOrderSingle (35=D) from a
 * table of limits per symbol. An order inside the limits is acknowledged and filled at its
 * price; one outside them is rejected with an ExecutionReport (OrdStatus 8 = Rejected) whose
 * OrdRejReason (103) and Text (58) say why. Other application messages are refused as
 * unsupported.
 *
 * OrderIDs and ExecIDs come from the order's {@linkcode MessageContext} (epoch and journal index
 * of the order): after a failover the new primary hands the router the orders whose answers the
 * replica lacked, and they get the ids they got the first time, while new orders never reuse one.
 *
 * @module
 */

import type { Application, Field, FixMessage, MessageContext, SessionHandle } from "../../mod.ts";

/** What the router accepts for one symbol. */
export interface SymbolLimits {
  /** Lowest limit price accepted. */
  readonly minPx: number;
  /** Highest limit price accepted. */
  readonly maxPx: number;
  /** Largest order quantity accepted. */
  readonly maxQty: number;
}

/** OrdRejReason (103) codes the router uses. */
export const OrdRejReason = {
  unknownSymbol: 1,
  exceedsLimit: 3,
  other: 99,
} as const;

/** Why an order is refused (`undefined`: it is within the limits). */
export function checkOrder(
  order: FixMessage,
  limits: Readonly<Record<string, SymbolLimits>>,
): { reason: number; text: string } | undefined {
  const symbol = order.get(55) ?? "";
  const limit = Object.hasOwn(limits, symbol) ? limits[symbol] : undefined;
  if (limit === undefined) {
    return { reason: OrdRejReason.unknownSymbol, text: `Unknown symbol ${symbol}` };
  }
  if (order.get(40) !== "2") {
    return { reason: OrdRejReason.other, text: "Only limit orders (OrdType 2) are routed" };
  }
  const qty = Number(order.get(38));
  const px = Number(order.get(44));
  if (!(qty > 0)) return { reason: OrdRejReason.other, text: "OrderQty must be positive" };
  if (qty > limit.maxQty) {
    return {
      reason: OrdRejReason.exceedsLimit,
      text: `OrderQty ${qty} above the limit of ${limit.maxQty} for ${symbol}`,
    };
  }
  if (!(px >= limit.minPx && px <= limit.maxPx)) {
    return {
      reason: OrdRejReason.exceedsLimit,
      text: `Price ${order.get(44)} outside ${limit.minPx}–${limit.maxPx} for ${symbol}`,
    };
  }
  return undefined;
}

/** The router application over `limits` (FIX.4.4 ExecutionReports). */
export function priceRouter(limits: Readonly<Record<string, SymbolLimits>>): Application {
  return {
    onMessage(order: FixMessage, session: SessionHandle, context: MessageContext): void {
      if (order.msgType !== "D") {
        session.rejectUnsupported(order);
        return;
      }
      const qty = order.get(38) ?? "0";
      const common: Field[] = [
        [37, `R${context.id}`],
        [11, order.get(11) ?? ""],
        [55, order.get(55) ?? ""],
        [54, order.get(54) ?? "1"],
        [38, qty],
      ];
      const refused = checkOrder(order, limits);
      if (refused !== undefined) {
        session.send("8", [
          ...common,
          [17, context.nextId()],
          [150, "8"],
          [39, "8"],
          [103, refused.reason],
          [58, refused.text],
          [151, 0],
          [14, 0],
          [6, 0],
        ]);
        return;
      }
      const px = order.get(44)!;
      session.send("8", [...common, [17, context.nextId()], [150, "0"], [39, "0"], [151, qty], [
        14,
        0,
      ], [6, 0]]);
      session.send("8", [
        ...common,
        [17, context.nextId()],
        [150, "F"],
        [39, "2"],
        [32, qty],
        [31, px],
        [151, 0],
        [14, qty],
        [6, px],
      ]);
    },
  };
}
