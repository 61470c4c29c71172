import { encodeMessage } from "../fix/encoder.ts";
import { decodeMessage } from "../fix/message.ts";
import { Logger, redactFix } from "./mod.ts";

const sink = (_line: string) => {};
const quiet = new Logger({ level: "warn", sink });
const loud = new Logger({ level: "debug", sink, fixMessages: true }).child({
  session: "FIX.4.4:ISLD->TW44",
});
const order = encodeMessage("FIX.4.4", "D", [
  [49, "TW44"],
  [56, "ISLD"],
  [34, 42],
  [52, "20261124-05:30:00.000"],
  [11, "ORD-1"],
  [21, "1"],
  [55, "EUR/USD"],
  [54, "1"],
  [60, "20261124-05:30:00.000"],
  [38, "1000000"],
  [40, "2"],
  [44, "1.0875"],
]);
const decoded = decodeMessage(order);

Deno.bench("Logger.debug() disabled, lazy fields", { group: "level" }, () => {
  quiet.debug("x", () => ({ seq: 1 }));
});
Deno.bench("Logger.info() enabled, 3 fields, JSON", { group: "level" }, () => {
  loud.info("Message sent", { seq: 42, msgType: "D", bytes: 180 });
});
Deno.bench("Logger.fix() enabled, NewOrderSingle bytes", { group: "fix" }, () => {
  loud.fix("out", order);
});
Deno.bench("redactFix() NewOrderSingle bytes", { group: "fix" }, () => {
  redactFix(order);
});
Deno.bench("redactFix() decoded NewOrderSingle", { group: "fix" }, () => {
  redactFix(decoded);
});
