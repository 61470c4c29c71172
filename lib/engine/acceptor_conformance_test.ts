// The session-protocol corners of issue 15 over real sockets: the acceptor as a strict peer sees it.
import { assert, assertEquals } from "../testing/assert.ts";
import { Acceptor, type AcceptorSessionConfig } from "./acceptor.ts";
import { echoApplication } from "./echo_application.ts";
import { executorApplication } from "./executor_application.ts";
import { MemorySessionStore } from "./store.ts";
import { dictionaryValidator } from "./validation.ts";
import { TestClient } from "./_test_client.ts";
import { encodeMessage } from "../fix/encoder.ts";
import type { FixMessage } from "../fix/message.ts";

const FIX44: AcceptorSessionConfig = {
  beginString: "FIX.4.4",
  senderCompId: "ISLD",
  targetCompId: "TW",
  validate: dictionaryValidator("FIX.4.4"),
};

function fields(m: FixMessage | undefined, tags: number[]): string {
  return tags.map((t) => `${t}=${m?.get(t) ?? ""}`).join("|");
}

async function logon(c: TestClient, extra = ""): Promise<FixMessage | undefined> {
  await c.send(`35=A|34=1|98=0|108=30${extra}`);
  return await c.next();
}

Deno.test("Acceptor answers a message without MsgSeqNum with Logout and closes the connection", async () => {
  await using acceptor = new Acceptor({ sessions: [FIX44], logger: () => {} }).listen();
  await using c = await TestClient.connect(acceptor.port);
  assertEquals((await logon(c))?.msgType, "A");
  await c.send("35=1|112=PING"); // no 34
  const logout = await c.next();
  assertEquals(fields(logout, [35, 34, 58]), "35=5|34=2|58=MsgSeqNum (34) missing");
  assert(await c.closedByPeer());
});

Deno.test("Acceptor's NextExpectedMsgSeqNum recovery gap-fills through its Logon's own number", async () => {
  const store = new MemorySessionStore();
  const id = store.defineSession("FIX.4.4:ISLD->TW");
  store.appendSequenceChange(id, { nextSenderSeqNum: 2000, nextTargetSeqNum: 1 }, false, 0);
  await using acceptor = new Acceptor({
    sessions: [{ ...FIX44, enableNextExpectedMsgSeqNum: true }],
    store,
    logger: () => {},
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  assertEquals(fields(await logon(c, "|789=1"), [35, 34]), "35=A|34=2000");
  assertEquals(fields(await c.next(), [35, 34, 123, 36]), "35=4|34=1|123=Y|36=2001");
});

Deno.test("Acceptor rejects a repeating group out of definition order with 373=15 and RefTagID", async () => {
  await using acceptor = new Acceptor({
    sessions: [FIX44],
    application: echoApplication(),
    logger: () => {},
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await logon(c);
  const nos = "11=A|21=1|38=100|40=1|54=1|55=IBM|60=20261124-10:00:00.000";
  await c.send(`35=D|34=2|${nos}|78=1|79=ACC|80=10|661=1`);
  assertEquals(
    fields(await c.next(), [35, 45, 372, 373, 371]),
    "35=3|45=2|372=D|373=15|371=661",
  );
  await c.send(`35=D|34=3|${nos}|78=1|79=ACC|661=1|80=10`);
  assertEquals(fields(await c.next(), [35, 34, 11]), "35=D|34=3|11=A", "in order: echoed");
});

Deno.test("Acceptor sends no DefaultApplVerID (1137) in a BusinessMessageReject on FIXT.1.1", async () => {
  await using acceptor = new Acceptor({
    sessions: [{
      beginString: "FIXT.1.1",
      senderCompId: "ISLD",
      targetCompId: "TW50",
      defaultApplVerId: "FIX.5.0SP2",
    }],
    application: executorApplication(),
    logger: () => {},
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  await c.send("35=A|34=1|98=0|108=30|1137=9", "FIXT.1.1", "TW50");
  const answer = await c.next();
  assertEquals(answer?.get(1137), "9", "1137 on the Logon");
  await c.send("35=8|34=2|37=X|17=E|150=0|39=0|55=X|54=1|151=0|14=0|6=0", "FIXT.1.1", "TW50");
  const reject = await c.next();
  assertEquals(fields(reject, [35, 45, 372, 380]), "35=j|45=2|372=8|380=3");
  assertEquals(reject?.has(1137), false);
});

Deno.test("Acceptor puts LastMsgSeqNumProcessed (369) on what it sends when enabled", async () => {
  await using acceptor = new Acceptor({
    sessions: [{ ...FIX44, enableLastMsgSeqNumProcessed: true }],
    logger: () => {},
  }).listen();
  await using c = await TestClient.connect(acceptor.port);
  assertEquals(fields(await logon(c), [35, 34, 369]), "35=A|34=1|369=0");
  await c.send("35=1|34=2|112=T");
  assertEquals(fields(await c.next(), [35, 34, 369, 112]), "35=0|34=2|369=1|112=T");
});

/** A NewOrderSingle with a CheckSum that does not match. */
function badChecksum(seq: number): Uint8Array {
  const now = new Date().toISOString().replace(/[-]/g, "").replace("T", "-").slice(0, 21);
  const good = encodeMessage("FIX.4.4", "D", [
    [34, seq],
    [49, "TW"],
    [52, now],
    [56, "ISLD"],
    [11, "A"],
    [21, "1"],
    [38, "100"],
    [40, "1"],
    [54, "1"],
    [55, "IBM"],
    [60, now],
  ]);
  const bytes = good.slice();
  const at = bytes.length - 4; // the CheckSum's digits
  bytes[at] = bytes[at] === 0x39 ? 0x30 : bytes[at]! + 1;
  return bytes;
}

Deno.test("Acceptor rejects a garbled message with rejectGarbledMessage and drops it by default", async () => {
  for (const reject of [true, false]) {
    await using acceptor = new Acceptor({
      sessions: [{ ...FIX44, rejectGarbledMessage: reject }],
      application: echoApplication(),
      logger: () => {},
    }).listen();
    await using c = await TestClient.connect(acceptor.port);
    await logon(c);
    await c.write(badChecksum(2));
    await c.send("35=1|34=3|112=AFTER");
    const first = await c.next();
    if (reject) {
      assertEquals(fields(first, [35, 45, 372, 373]), "35=3|45=2|372=D|373=99");
      assert(first?.get(58)?.startsWith("Garbled message: CheckSum"));
      assertEquals(fields(await c.next(), [35, 112]), "35=0|112=AFTER");
    } else {
      // dropped: 2 was never consumed, so 3 is too high and a ResendRequest follows
      assertEquals(fields(first, [35, 7]), "35=2|7=2");
    }
  }
});
