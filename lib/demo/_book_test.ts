import { assertEquals } from "../testing/assert.ts";
import { ExecutionBook, formatBookLines, newOrderFix } from "./_book.ts";

const report = (fix: string) => JSON.stringify({ msgType: "8", fix });

Deno.test("ExecutionBook counts a second New or Filled for one order as a duplicate, PossDup resends and lost executions", () => {
  const book = new ExecutionBook();
  book.expect("C1");
  book.expect("C2");
  book.expect("C3");
  book.onStreamMessage(report("8=FIX.4.4|35=8|11=C1|39=0"));
  book.onStreamMessage(report("8=FIX.4.4|35=8|11=C1|39=2"));
  book.onStreamMessage(report("8=FIX.4.4|35=8|43=Y|11=C1|39=2"));
  book.onStreamMessage(report("8=FIX.4.4|35=8|11=C2|39=0"));
  book.onStreamMessage(report("8=FIX.4.4|35=8|11=OTHER|39=2"));
  book.onStreamMessage(JSON.stringify({ msgType: "0", fix: "8=FIX.4.4|35=0" }));
  assertEquals(
    { reports: book.reports, filled: book.filled, duplicates: book.duplicates },
    { reports: 5, filled: 1, duplicates: 1 },
  );
  assertEquals(book.possDup, 1);
  assertEquals(book.lost(), 3); // C2's fill, C3's New and fill
});

Deno.test("formatBookLines() prints the five order lines both demos share", () => {
  assertEquals(
    formatBookLines({ sent: 4, reports: 7, possDup: 1, filled: 3, lost: 1, duplicates: 0 }),
    "  orders sent              4\n" +
      "  executions received      7 (expected 8; 1 as PossDup resends)\n" +
      "  orders filled            3\n" +
      "  messages lost            1\n" +
      "  duplicates               0\n",
  );
});

Deno.test("newOrderFix() is a NewOrderSingle for the ClOrdID stamped with TransactTime", () => {
  const fix = newOrderFix("C9");
  assertEquals(fix.split("|").slice(0, 4), ["8=FIX.4.4", "35=D", "11=C9", "21=1"]);
  assertEquals(/\|60=\d{8}-\d{2}:\d{2}:\d{2}\.\d{3}\|/.test(fix), true);
});
