/**
 * Execution booking shared by both demos: every ExecutionReport the
 * initiator's journal received, read from its `/stream` WebSocket, is booked
 * by ClOrdID and OrdStatus, and the summary's counts (filled, lost,
 * duplicates, PossDup resends) are measured from those books.
 *
 * @module
 */

function field(fix: string, tag: number): string | undefined {
  const key = `|${tag}=`;
  const at = fix.indexOf(key);
  if (at < 0) return undefined;
  const end = fix.indexOf("|", at + key.length);
  return fix.slice(at + key.length, end < 0 ? undefined : end);
}

/** The executions booked so far, from the initiator's journal stream. */
export class ExecutionBook {
  readonly #books = new Map<string, { fresh: number; filled: number }>();
  /** ExecutionReports received. */
  reports = 0;
  /** Orders filled (first fill of each). */
  filled = 0;
  /** Executions received more than once (a second New or Filled for one order). */
  duplicates = 0;
  /** ExecutionReports received with PossDupFlag=Y. */
  possDup = 0;

  /** Starts a book for order `clOrdId`: only reports of expected orders are booked. */
  expect(clOrdId: string): void {
    this.#books.set(clOrdId, { fresh: 0, filled: 0 });
  }

  /** Executions (New and Filled, two per order) that never arrived. */
  lost(): number {
    return [...this.#books.values()].reduce(
      (n, x) => n + (x.fresh === 0 ? 1 : 0) + (x.filled === 0 ? 1 : 0),
      0,
    );
  }

  /** Books one journal stream message (JSON with `msgType` and `fix`). */
  onStreamMessage(data: string): void {
    const m = JSON.parse(data) as { msgType: string; fix: string };
    if (m.msgType !== "8") return;
    this.reports++;
    const fix = "|" + m.fix;
    if (field(fix, 43) === "Y") this.possDup++;
    const book = this.#books.get(field(fix, 11) ?? "");
    if (!book) return;
    const st = field(fix, 39);
    if (st === "0" && ++book.fresh > 1) this.duplicates++;
    if (st === "2") {
      if (++book.filled > 1) this.duplicates++;
      else this.filled++;
    }
  }
}

/**
 * Opens the initiator's `/stream` from index 1 on `apiPort` and books into a
 * new {@linkcode ExecutionBook}; `setWs` receives the socket before it opens,
 * so that the caller closes it however the demo ends.
 */
export async function openExecutionBook(
  apiPort: number,
  setWs: (ws: WebSocket) => void,
): Promise<ExecutionBook> {
  const book = new ExecutionBook();
  const ws = new WebSocket(`ws://127.0.0.1:${apiPort}/stream?from=1`);
  setWs(ws);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error("Cannot open the initiator's /stream"));
  });
  ws.onmessage = (ev) => book.onStreamMessage(String(ev.data));
  return book;
}

/** The summary lines both demos print about orders and executions. */
export function formatBookLines(
  s: {
    sent: number;
    reports: number;
    possDup: number;
    filled: number;
    lost: number;
    duplicates: number;
  },
): string {
  return `  orders sent              ${s.sent}
  executions received      ${s.reports} (expected ${2 * s.sent}; ${s.possDup} as PossDup resends)
  orders filled            ${s.filled}
  messages lost            ${s.lost}
  duplicates               ${s.duplicates}
`;
}

/** The NewOrderSingle both demos send for `clOrdId`, in the API's `|` notation, stamped now. */
export function newOrderFix(clOrdId: string): string {
  const d = new Date().toISOString(); // 2026-11-24T06:03:48.123Z
  const ts = `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 23)}`;
  return `8=FIX.4.4|35=D|11=${clOrdId}|21=1|55=TNDM|54=1|60=${ts}|38=100|40=2|44=10.5`;
}
