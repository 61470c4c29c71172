import { assertEquals } from "../testing/assert.ts";
import { encodeMessage } from "../fix/encoder.ts";
import { decodeMessage, type FixMessage } from "../fix/message.ts";
import type { Field } from "../session/session.ts";
import { MessageContext, type SessionHandle } from "./application.ts";
import { echoApplication } from "./echo_application.ts";
import {
  executionReports,
  executorApplication,
  POSSIBLY_EXECUTED_ELSEWHERE_TEXT,
} from "./executor_application.ts";
import { markPossiblyExecutedElsewhere } from "./application.ts";
import { decodeLenient } from "./_lenient_decode.ts";

const CTX = new MessageContext(1, 0);

interface Sent {
  msgType: string;
  fields: [number, string][];
}

function fakeSession(beginString = "FIX.4.4") {
  const sent: Sent[] = [];
  const rejected: string[] = [];
  const handle: SessionHandle = {
    key: `${beginString}:ISLD->TW`,
    beginString,
    senderCompId: "ISLD",
    targetCompId: "TW",
    isLoggedOn: true,
    applVerId: undefined,
    send(msgType: string, fields: Iterable<Field>) {
      sent.push({
        msgType,
        fields: [...fields].map((
          [t, v],
        ) => [t, v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)]),
      });
      return sent.length;
    },
    rejectUnsupported(m: FixMessage) {
      rejected.push(m.msgType);
    },
    businessReject() {},
    logout() {},
  };
  return { handle, sent, rejected };
}

const m = (msgType: string, fields: [number, string][], beginString = "FIX.4.4") =>
  decodeMessage(
    encodeMessage(beginString, msgType, [[34, 2], [49, "TW"], [52, "20261124-12:00:00"], [
      56,
      "ISLD",
    ], ...fields]),
  );

Deno.test("echoApplication() sends NewOrderSingle back without the session envelope", () => {
  const app = echoApplication();
  const s = fakeSession();
  app.onMessage!(
    m("D", [[43, "Y"], [122, "20261124-11:00:00"], [115, "X"], [11, "A"]]),
    s.handle,
    CTX,
  );
  assertEquals(s.sent, [{ msgType: "D", fields: [[115, "X"], [11, "A"]] }]);
});

Deno.test("echoApplication() drops a PossResend order whose ClOrdID was seen since the last logout", () => {
  const app = echoApplication();
  const s = fakeSession();
  app.onMessage!(m("D", [[11, "A"]]), s.handle, CTX);
  app.onMessage!(m("D", [[97, "Y"], [11, "A"]]), s.handle, CTX);
  app.onMessage!(m("D", [[97, "Y"], [11, "B"]]), s.handle, CTX);
  assertEquals(s.sent.map((x) => x.fields.find(([t]) => t === 11)?.[1]), ["A", "B"]);
  app.onLogout!(s.handle, "bye");
  app.onMessage!(m("D", [[97, "Y"], [11, "A"]]), s.handle, CTX);
  assertEquals(s.sent.length, 3);
});

Deno.test("echoApplication() echoes SecurityDefinition on FIX.4.2+ and Email, refuses the rest", () => {
  const app = echoApplication();
  const s = fakeSession("FIX.4.2");
  app.onMessage!(m("d", [[320, "1"]], "FIX.4.2"), s.handle, CTX);
  app.onMessage!(m("C", [[164, "1"]], "FIX.4.2"), s.handle, CTX);
  app.onMessage!(m("8", [[37, "1"]], "FIX.4.2"), s.handle, CTX);
  assertEquals(s.sent.map((x) => x.msgType), ["d", "C"]);
  assertEquals(s.rejected, ["8"]);
  const old = fakeSession("FIX.4.1");
  app.onMessage!(m("d", [[320, "1"]], "FIX.4.1"), old.handle, CTX);
  assertEquals(old.rejected, ["d"]);
});

Deno.test("executionReports() writes the fields each FIX version requires", () => {
  const order = m("D", [[11, "O"], [55, "X"], [54, "1"], [38, "10"], [40, "2"], [44, "5"]]);
  const tags = (rank: number) => {
    const [fresh, fill] = executionReports(order, rank, "1", "E");
    return {
      fresh: new Map(fresh.map(([t, v]) => [t, String(v)])),
      fill: new Map(fill.map(([t, v]) => [t, String(v)])),
    };
  };
  const v40 = tags(40);
  assertEquals([v40.fresh.get(20), v40.fresh.has(150), v40.fill.get(39)], ["0", false, "2"]);
  const v42 = tags(42);
  assertEquals([v42.fill.get(20), v42.fill.get(150), v42.fill.get(151)], ["0", "2", "0"]);
  const v44 = tags(44);
  assertEquals([v44.fill.has(20), v44.fill.get(150), v44.fill.get(31), v44.fill.get(14)], [
    false,
    "F",
    "5",
    "10",
  ]);
});

Deno.test("executorApplication() answers NewOrderSingle with New then Filled and refuses other messages", () => {
  const app = executorApplication();
  const s = fakeSession("FIX.4.2");
  app.onMessage!(
    m("D", [[11, "O"], [55, "X"], [54, "1"], [38, "10"], [40, "1"]], "FIX.4.2"),
    s.handle,
    new MessageContext(17, 3),
  );
  assertEquals(s.sent.map((x) => [x.msgType, x.fields.find(([t]) => t === 39)?.[1]]), [["8", "0"], [
    "8",
    "2",
  ]]);
  app.onMessage!(m("F", [[11, "O"]], "FIX.4.2"), s.handle, new MessageContext(18, 3));
  assertEquals(s.rejected, ["F"]);
});

Deno.test("executorApplication() rejects instead of filling an order possibly executed elsewhere", () => {
  for (const v of ["FIX.4.2", "FIX.4.4"]) {
    const app = executorApplication();
    const s = fakeSession(v);
    const order = m("D", [[11, "O"], [55, "X"], [54, "1"], [38, "10"], [40, "1"], [43, "Y"]], v);
    markPossiblyExecutedElsewhere(order);
    app.onMessage!(order, s.handle, CTX);
    assertEquals(s.sent.length, 1, "one report, no fill");
    const f = new Map(s.sent[0]!.fields.map(([t, x]) => [t, String(x)]));
    assertEquals([s.sent[0]!.msgType, f.get(39), f.get(150), f.get(14), f.get(58)], [
      "8",
      "8",
      "8",
      "0",
      POSSIBLY_EXECUTED_ELSEWHERE_TEXT,
    ]);
    assertEquals(f.get(20), v === "FIX.4.2" ? "0" : undefined);
  }
});

Deno.test("executorApplication() takes OrderID and ExecIDs from the journal position of the order", () => {
  const app = executorApplication();
  const s = fakeSession("FIX.4.4");
  const order = m("D", [[11, "O"], [55, "X"], [54, "1"], [38, "10"], [40, "1"]], "FIX.4.4");
  app.onMessage!(order, s.handle, new MessageContext(17, 3));
  // The same order handed over again (replay after a failover) gets the same ids.
  app.onMessage!(order, s.handle, new MessageContext(17, 3));
  // A different record in a later epoch at the same index does not.
  app.onMessage!(order, s.handle, new MessageContext(17, 4));
  const ids = s.sent.map((x) => {
    const get = (tag: number) => x.fields.find(([t]) => t === tag)?.[1];
    return `${get(37)} ${get(17)}`;
  });
  assertEquals(ids, [
    "O3-17 E3-17-1",
    "O3-17 E3-17-2",
    "O3-17 E3-17-1",
    "O3-17 E3-17-2",
    "O4-17 E4-17-1",
    "O4-17 E4-17-2",
  ]);
});

Deno.test("MessageContext.nextId() numbers further ids of one message from 1", () => {
  const c = new MessageContext(5, 2);
  assertEquals([c.id, c.nextId(), c.nextId()], ["2-5", "2-5-1", "2-5-2"]);
});

Deno.test("decodeLenient() keeps tags 0 and -1 and refuses everything else", () => {
  const enc = (t: string) => new TextEncoder().encode(t.replaceAll("|", "\x01"));
  const msg = decodeLenient(enc("8=FIX.4.4|9=5|35=0|0=HI|-1=X|10=000|"))!;
  assertEquals([msg.tagAt(3), msg.stringAt(3), msg.tagAt(4)], [0, "HI", -1]);
  assertEquals(decodeLenient(enc("8=FIX.4.4|abc|")), undefined);
  assertEquals(decodeLenient(enc("8=FIX.4.4|x1=2|")), undefined);
  assertEquals(decodeLenient(enc("8=FIX.4.4|95=3|96=ab|10=000|")), undefined, "only for bad tags");
});

Deno.test("executorApplication() sends the fields executionReports() builds, for every shape of order and version", () => {
  const optional: [number, string][] = [[1, "ACC"], [40, "2"], [44, "5.5"], [59, "0"]];
  for (const v of ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"]) {
    const rank = v === "FIXT.1.1" ? 50 : Number(v.slice(4).replace(".", ""));
    const app = executorApplication();
    const s = fakeSession(v);
    const expected: Field[][] = [];
    // every combination of optional fields, twice: the second round refills made arrays
    for (let round = 0; round < 2; round++) {
      for (let shape = 0; shape < 16; shape++) {
        const fields: [number, string][] = [
          [11, `C${round}-${shape}`],
          [55, "X"],
          [54, "2"],
          [38, `${shape}`],
        ];
        for (let b = 0; b < 4; b++) if (shape & (1 << b)) fields.push(optional[b]!);
        const order = m("D", fields, v);
        const index = round * 16 + shape;
        app.onMessage!(order, s.handle, new MessageContext(index, 1));
        const [fresh, fill] = executionReports(order, rank, `O1-${index}`, `E1-${index}`);
        expected.push(fresh, fill);
      }
    }
    const asText = (f: readonly Field[]) => f.map(([t, x]) => [t, String(x)]);
    assertEquals(s.sent.map((x) => x.fields), expected.map(asText), v);
  }
});
