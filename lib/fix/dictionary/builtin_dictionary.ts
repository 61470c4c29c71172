/**
 * The standard dictionaries, FIX.4.0 to FIX.5.0SP2 and FIXT.1.1, built into the program.
 *
 * They are generated from QuickFIX's XML files by `_generate.ts` into `builtin/*.ts` and parsed
 * the first time each is asked for, then kept.
 *
 * @module
 */

import { ApplVerId } from "../tags.ts";
import { Dictionary } from "./dictionary.ts";
import type { DictionarySpec } from "./_spec.ts";
import { SPEC as FIX40 } from "./builtin/fix40.ts";
import { SPEC as FIX41 } from "./builtin/fix41.ts";
import { SPEC as FIX42 } from "./builtin/fix42.ts";
import { SPEC as FIX43 } from "./builtin/fix43.ts";
import { SPEC as FIX44 } from "./builtin/fix44.ts";
import { SPEC as FIXT11 } from "./builtin/fixt11.ts";
import { SPEC as FIX50 } from "./builtin/fix50.ts";
import { SPEC as FIX50SP1 } from "./builtin/fix50sp1.ts";
import { SPEC as FIX50SP2 } from "./builtin/fix50sp2.ts";

const SOURCES: Readonly<Record<BuiltinDictionaryName, string>> = {
  "FIX.4.0": FIX40,
  "FIX.4.1": FIX41,
  "FIX.4.2": FIX42,
  "FIX.4.3": FIX43,
  "FIX.4.4": FIX44,
  "FIXT.1.1": FIXT11,
  "FIX.5.0": FIX50,
  "FIX.5.0SP1": FIX50SP1,
  "FIX.5.0SP2": FIX50SP2,
};

/** Name of a built-in dictionary. */
export type BuiltinDictionaryName =
  | "FIX.4.0"
  | "FIX.4.1"
  | "FIX.4.2"
  | "FIX.4.3"
  | "FIX.4.4"
  | "FIXT.1.1"
  | "FIX.5.0"
  | "FIX.5.0SP1"
  | "FIX.5.0SP2";

/** Every built-in dictionary name. */
export const BUILTIN_DICTIONARY_NAMES: readonly BuiltinDictionaryName[] = Object.keys(
  SOURCES,
) as BuiltinDictionaryName[];

const cache = new Map<string, Dictionary>();

/** Whether `name` is a built-in dictionary name. */
export function isBuiltinDictionaryName(name: string): name is BuiltinDictionaryName {
  return Object.hasOwn(SOURCES, name);
}

/**
 * A built-in dictionary by version name ("FIX.4.0" … "FIX.4.4", "FIXT.1.1", "FIX.5.0",
 * "FIX.5.0SP1", "FIX.5.0SP2"). Parsed on first use (FIX.5.0SP2 takes tens of milliseconds), then
 * cached.
 *
 * @throws {RangeError} when there is no such built-in dictionary
 */
export function builtinDictionary(name: string): Dictionary {
  const cached = cache.get(name);
  if (cached) return cached;
  if (!isBuiltinDictionaryName(name)) {
    throw new RangeError(
      `Cannot find built-in dictionary ${name}: expected one of ${
        BUILTIN_DICTIONARY_NAMES.join(", ")
      }`,
    );
  }
  const spec = JSON.parse(SOURCES[name]) as DictionarySpec;
  const dict = new Dictionary(spec, `builtin:${name}`);
  cache.set(name, dict);
  return dict;
}

/** Built-in versions by ApplVerID code, from the one table in `tags.ts`. */
const APPL_VER_IDS: Readonly<Record<string, BuiltinDictionaryName>> = Object.fromEntries(
  Object.entries(ApplVerId)
    .filter(([name]) => isBuiltinDictionaryName(name))
    .map(([name, code]) => [code, name as BuiltinDictionaryName]),
);

/** The version named by an ApplVerID (1128) value: "7" → "FIX.5.0", "9" → "FIX.5.0SP2". */
export function applVerIdToVersion(applVerID: string): BuiltinDictionaryName | undefined {
  return Object.hasOwn(APPL_VER_IDS, applVerID) ? APPL_VER_IDS[applVerID] : undefined;
}

/** The ApplVerID (1128) value of a version: "FIX.5.0SP2" → "9". */
export function versionToApplVerId(version: string): string | undefined {
  for (const [id, v] of Object.entries(APPL_VER_IDS)) if (v === version) return id;
  return undefined;
}
