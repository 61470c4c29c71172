/**
 * Checks, before anything starts, the files a configuration refers to: custom dictionaries must
 * be readable QuickFIX XML, TLS certificates and keys must be readable, and the data directory
 * (`node.dataDir`) must be a writable directory or creatable in a writable one. Problems are reported like
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
  const dataDirProblem = await checkDataDir(config.node.dataDir);
  if (dataDirProblem !== undefined) report("node.dataDir", dataDirProblem);
  return issues;
}

/**
 * Why `dir` cannot serve as a node's data directory, or undefined. An existing directory must
 * accept a new file; a missing one needs its nearest existing ancestor to be a writable directory
 * (the node creates the rest). Writability is proven by creating and removing a probe file, never
 * by reading permission bits (they do not tell about ACLs, read-only mounts or other users).
 */
export async function checkDataDir(dir: string): Promise<string | undefined> {
  let existing = dir;
  for (;;) {
    try {
      const info = await Deno.stat(existing);
      if (!info.isDirectory) {
        return existing === dir
          ? `Cannot use ${dir} as the data directory: not a directory`
          : `Cannot create the data directory ${dir}: ${existing} is not a directory`;
      }
      break;
    } catch (e) {
      // ENOTDIR: a file stands where a parent directory should; the walk up finds and names it.
      if (!(e instanceof Deno.errors.NotFound) && !(e instanceof Deno.errors.NotADirectory)) {
        return `Cannot use ${dir} as the data directory: ${(e as Error).message}`;
      }
      const parent = parentOf(existing);
      if (parent === existing) return `Cannot create the data directory ${dir}: no parent exists`;
      existing = parent;
    }
  }
  try {
    const probe = await Deno.makeTempFile({ dir: existing, prefix: ".tandem-check-" });
    await Deno.remove(probe);
    return undefined;
  } catch (e) {
    const why = e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (e as Error).message;
    return existing === dir
      ? `Cannot write to the data directory ${dir}: ${why}`
      : `Cannot create the data directory ${dir} in ${existing}: ${why}`;
  }
}

/** The parent of a path ("." for a bare relative name, "/" stays "/"). */
function parentOf(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, "") : path;
  const slash = trimmed.lastIndexOf("/");
  if (slash < 0) return trimmed === "." ? "." : ".";
  if (slash === 0) return "/";
  return trimmed.slice(0, slash);
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
