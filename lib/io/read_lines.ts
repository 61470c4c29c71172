/**
 * Lines of a byte stream (a child process's stdout or stderr): UTF-8 decoded,
 * split on `\n`, the last line yielded even without a final newline.
 *
 * @module
 */

/** Yields each line of `stream` (without its `\n`) as it arrives. */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let start = 0;
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n", start)) {
      yield pending.slice(start, nl);
      start = nl + 1;
    }
    pending = pending.slice(start);
  }
  if (pending !== "") yield pending;
}
