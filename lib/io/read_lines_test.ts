import { assertEquals } from "../testing/assert.ts";
import { readLines } from "./read_lines.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return ReadableStream.from(chunks.map((c) => enc.encode(c)));
}

Deno.test("readLines() joins lines split across chunks and keeps a last line without newline", async () => {
  const lines: string[] = [];
  for await (const l of readLines(streamOf("a\nb", "c\n\nd", "é\nlast"))) lines.push(l);
  assertEquals(lines, ["a", "bc", "", "dé", "last"]);
});

Deno.test("readLines() decodes a UTF-8 character split between chunks", async () => {
  const bytes = new TextEncoder().encode("é\n");
  const stream = ReadableStream.from([bytes.subarray(0, 1), bytes.subarray(1)]);
  const lines: string[] = [];
  for await (const l of readLines(stream)) lines.push(l);
  assertEquals(lines, ["é"]);
});
