import type { Origin } from "./schema.ts";

const ORIGINS = new WeakMap<object, ReadonlyMap<string, Origin>>();

/** Remembers where the keys of a loaded configuration came from. */
export function rememberOrigins(config: object, origins: ReadonlyMap<string, Origin>): void {
  ORIGINS.set(config, origins);
}

/**
 * Where each key path of a loaded configuration came from (file position, flag or default), for
 * reporting problems found after validation (a referenced file that cannot be read).
 */
export function configOrigins(config: object): ReadonlyMap<string, Origin> | undefined {
  return ORIGINS.get(config);
}
