/**
 * Assertions for the project's tests, in the shape of Deno's standard
 * `@std/assert` (which cannot be installed here: JSR is not reachable), built
 * on the runtime's `node:assert`.
 *
 * @module
 */

import nodeAssert from "node:assert/strict";

/** Fails unless `condition` is truthy. */
export function assert(condition: unknown, message?: string): asserts condition {
  if (!condition) throw new nodeAssert.AssertionError({ message: message ?? "Expected truthy" });
}

/** Deep structural equality. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Deep structural inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** `Object.is` identity. */
export function assertStrictEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.strictEqual(actual, expected, message);
}

/** String contains `expected`. */
export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    throw new nodeAssert.AssertionError({
      message: message ??
        `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`,
    });
  }
}

/** String matches `re`. */
export function assertMatch(actual: string, re: RegExp, message?: string): void {
  nodeAssert.match(actual, re, message);
}

/** Value is neither null nor undefined. */
export function assertExists<T>(actual: T, message?: string): asserts actual is NonNullable<T> {
  if (actual === null || actual === undefined) {
    throw new nodeAssert.AssertionError({ message: message ?? `Expected a value, got ${actual}` });
  }
}

/** `actual` is an instance of `type`. */
export function assertInstanceOf<T>(
  actual: unknown,
  type: abstract new (...args: never[]) => T,
  message?: string,
): asserts actual is T {
  if (!(actual instanceof type)) {
    throw new nodeAssert.AssertionError({
      message: message ?? `Expected an instance of ${type.name}, got ${String(actual)}`,
    });
  }
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

function checkError<E extends Error>(
  err: unknown,
  type: ErrorClass<E> | undefined,
  includes: string | undefined,
): E {
  if (type !== undefined && !(err instanceof type)) {
    throw new nodeAssert.AssertionError({
      message: `Expected error to be ${type.name}, got ${
        err instanceof Error ? err.name : String(err)
      }: ${err instanceof Error ? err.message : ""}`,
    });
  }
  if (includes !== undefined && !(err instanceof Error && err.message.includes(includes))) {
    throw new nodeAssert.AssertionError({
      message: `Expected error message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(err instanceof Error ? err.message : String(err))
      }`,
    });
  }
  return err as E;
}

/** `fn` throws (optionally a `type` whose message includes `includes`); returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type?: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    return checkError(err, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected function to throw" });
}

/** `fn` rejects (optionally a `type` whose message includes `includes`); returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => PromiseLike<unknown>,
  type?: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return checkError(err, type, includes);
  }
  throw new nodeAssert.AssertionError({ message: "Expected promise to reject" });
}

/** Always fails. */
export function fail(message?: string): never {
  throw new nodeAssert.AssertionError({ message: message ?? "Failed" });
}
