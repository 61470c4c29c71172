/**
 * Child process for `journal_crash_test.ts`: opens the journal in `Deno.args[0]`
 * with sync policy `always`, then appends Outbound records forever, printing
 * `ok <index>` once each record's durability promise resolves. The parent
 * kills it with SIGKILL at random moments.
 *
 * The payload of record `index` is {@linkcode crashPayload}(index), so the
 * parent can check every reported record is intact.
 *
 * @module
 */

import { Journal, RecordKind } from "../lib/journal/mod.ts";

/** Deterministic payload of a given index, 20 to 400 bytes. */
export function crashPayload(index: number): Uint8Array {
  const size = 20 + ((index * 2654435761) >>> 0) % 381;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (index * 31 + i * 7) & 0xff;
  return bytes;
}

const encoder = new TextEncoder();
function say(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let done = 0;
  while (done < bytes.length) done += Deno.stdout.writeSync(bytes.subarray(done));
}

if (import.meta.main) {
  const dir = Deno.args[0]!;
  const journal = await Journal.open(dir, { syncPolicy: "always", segmentSizeBytes: 32 * 1024 });
  const session = journal.defineSession("FIX.4.4:CRASH->TEST");
  say(`open ${journal.lastIndex} recovered ${journal.recovered.length}`);
  let pending = 0;
  let turn = 0;
  while (true) {
    const batch = 1 + (turn++ % 17);
    for (let i = 0; i < batch; i++) {
      const index = journal.lastIndex + 1;
      journal.append({
        kind: RecordKind.Outbound,
        sessionId: session,
        seqNum: index,
        timestampMs: Date.now(),
        payload: crashPayload(index),
      });
      pending++;
      journal.durable(index).then(() => {
        pending--;
        say(`ok ${index}`);
      });
    }
    // Yield a turn; hold back while too much is in flight.
    await new Promise((r) => setTimeout(r, 0));
    while (pending > 2000) await journal.durable(journal.lastIndex);
  }
}
