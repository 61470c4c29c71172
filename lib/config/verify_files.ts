/**
 * Checks, before anything starts, the files a configuration refers to: custom dictionaries must
 * be readable QuickFIX XML, TLS certificates and keys must be readable. Problems are reported like
 * validation problems, with the line of the key that names the file.
 *
 * @module
 */

import { loadDictionary } from "../fix/dictionary/mod.ts";
import { configOrigins } from "./_origins.ts";
import type { ConfigIssue } from "./schema.ts";
import type { TandemConfig } from "./tandem_schema.ts";

/** Largest custom dictionary read (the XML of FIX 5.0 SP2 is about 2 MB). */
export const MAX_DICTIONARY_FILE_BYTES = 16 * 1_048_576;

/** Returns one issue per referenced file that cannot be used (empty when all are fine). */
export async function verifyConfigFiles(
  config: TandemConfig,
  source: string,
): Promise<ConfigIssue[]> {
  const origins = configOrigins(config);
  const issues: ConfigIssue[] = [];
  const report = (path: string, message: string) => {
    const o = origins?.get(path);
    issues.push({
      source: o?.source ?? source,
      path,
      ...(o?.line !== undefined ? { line: o.line, column: o.column ?? 1 } : {}),
      message,
    });
  };
  const dictionaries = new Map<string, string[]>();
  config.sessions.forEach((s, i) => {
    for (const key of ["dictionary", "transportDictionary"] as const) {
      const file = s[key];
      if (file === undefined) continue;
      const paths = dictionaries.get(file) ?? [];
      paths.push(`sessions[${i}].${key}`);
      dictionaries.set(file, paths);
    }
  });
  for (const [file, paths] of dictionaries) {
    const why = await checkDictionary(file);
    if (why !== undefined) { for (const p of paths) report(p, why); }
  }
  const tls = config.fix.tls;
  if (tls !== undefined) {
    for (const key of ["certFile", "keyFile", "caFile"] as const) {
      const file = tls[key];
      if (file === undefined) continue;
      const why = await checkReadable(file, 1_048_576);
      if (why !== undefined) report(`fix.tls.${key}`, why);
    }
  }
  for (const [i, s] of config.sessions.entries()) {
    const ctls = s.connect?.tls;
    if (ctls === undefined) continue;
    for (const key of ["certFile", "keyFile", "caFile"] as const) {
      const file = ctls[key];
      if (file === undefined) continue;
      const why = await checkReadable(file, 1_048_576);
      if (why !== undefined) report(`sessions[${i}].connect.tls.${key}`, why);
    }
  }
  return issues;
}

async function checkReadable(file: string, maxBytes: number): Promise<string | undefined> {
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) return `Cannot read ${file}: not a file`;
    if (info.size > maxBytes) {
      return `Cannot read ${file}: ${info.size} bytes, above the limit of ${maxBytes}`;
    }
    // Opening proves the permission too.
    (await Deno.open(file, { read: true })).close();
    return undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return `Cannot read ${file}: file not found`;
    if (e instanceof Deno.errors.PermissionDenied) return `Cannot read ${file}: permission denied`;
    return `Cannot read ${file}: ${(e as Error).message}`;
  }
}

async function checkDictionary(file: string): Promise<string | undefined> {
  const unreadable = await checkReadable(file, MAX_DICTIONARY_FILE_BYTES);
  if (unreadable !== undefined) return unreadable;
  try {
    loadDictionary(await Deno.readTextFile(file), file);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
