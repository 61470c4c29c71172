/**
 * The node's view of its journal's health, kept out of `node.ts`: the data
 * directory lock, what recovery cut at start (logged as warnings and exported
 * as metrics, never silent), and the storage-failure gauge.
 *
 * Metrics:
 * - `tandem_journal_recovered_truncated_bytes` / `…_records`: what startup
 *   recovery cut off as a torn tail (0 when the journal was clean);
 * - `tandem_journal_rewind_accepted`: 1 when the node started with
 *   `--accept-journal-rewind` on a journal that ends before its checkpoint;
 * - `tandem_storage_failed`: 1 once the journal storage failed (the node is
 *   stopping; see `storage_fault.ts`).
 *
 * @module
 */

import type { Logger } from "../log/mod.ts";
import type { Registry } from "../metrics/registry.ts";
import {
  Journal,
  JournalFailedError,
  type JournalStorage,
  type SyncPolicy,
} from "../journal/mod.ts";
import type { TandemConfig } from "../config/mod.ts";
import { DataDirLock } from "../journal/data_dir_lock.ts";
import type { StorageFault } from "./storage_fault.ts";

/**
 * Takes the data directory's lock (one node per directory). An OS error
 * (a read-only file system, permissions) becomes a {@linkcode JournalFailedError}
 * naming the directory, so the node refuses to start cleanly.
 *
 * @throws {DataDirLockedError} when another process holds it
 */
export function acquireDataDir(dir: string): DataDirLock {
  try {
    return DataDirLock.acquire(dir, "run a node on");
  } catch (err) {
    if (!(err instanceof Error) || err.name === "DataDirLockedError") throw err;
    throw new JournalFailedError(`Cannot open data directory ${dir}: ${err.message}`, {
      cause: err,
      file: dir,
    });
  }
}

/** Warns about every torn tail recovery cut and about an accepted rewind. */
export function logJournalRecovery(log: Logger, journal: Journal): void {
  for (const r of journal.recovered) {
    log.warn("Journal recovery cut a torn tail at start", {
      file: r.file,
      offsetBytes: r.offsetBytes,
      droppedBytes: r.droppedBytes,
      droppedRecords: r.droppedRecords,
      reason: r.reason,
    });
  }
  if (journal.rewind !== undefined) {
    log.warn("Journal rewind accepted (--accept-journal-rewind): records are missing", {
      missing: journal.rewind,
    });
  }
}

/** Registers the recovery and storage-failure gauges. */
export function journalRecoveryGauges(
  registry: Registry,
  journal: Journal,
  fault: () => StorageFault | undefined,
): void {
  const sum = (key: "droppedBytes" | "droppedRecords") =>
    journal.recovered.reduce((n, r) => n + r[key], 0);
  registry.gauge(
    "tandem_journal_recovered_truncated_bytes",
    "Bytes startup recovery cut off the journal as a torn tail",
  ).collectWith(() => [[{}, sum("droppedBytes")]]);
  registry.gauge(
    "tandem_journal_recovered_truncated_records",
    "Records startup recovery cut off the journal as a torn tail",
  ).collectWith(() => [[{}, sum("droppedRecords")]]);
  registry.gauge(
    "tandem_journal_rewind_accepted",
    "1 when the node started on a journal that ends before its checkpoint (--accept-journal-rewind)",
  ).collectWith(() => [[{}, journal.rewind === undefined ? 0 : 1]]);
  registry.gauge(
    "tandem_storage_failed",
    "1 once a journal write, sync or open failed (the node stops serving and exits)",
  ).collectWith(() => [[{}, fault() === undefined ? 0 : 1]]);
}

/**
 * Opens the node's journal in `node.dataDir` by the `journal` settings, with its sync
 * metrics in `registry`; `onFailure` hears of a storage failure.
 */
export async function openNodeJournal(
  config: TandemConfig,
  registry: Registry,
  options: {
    readonly journalStorage?: JournalStorage | undefined;
    readonly acceptJournalRewind?: boolean | undefined;
    readonly onFailure: (error: JournalFailedError) => void;
  },
): Promise<Journal> {
  const j = config.journal;
  const syncSeconds = registry.histogram(
    "tandem_journal_sync_seconds",
    "Duration of each journal sync (fdatasync)",
  );
  const syncedRecords = registry.counter(
    "tandem_journal_synced_records_total",
    "Records made durable by journal syncs",
  );
  return await Journal.open(config.node.dataDir, {
    ...(options.journalStorage ? { storage: options.journalStorage } : {}),
    onFailure: options.onFailure,
    acceptRewind: options.acceptJournalRewind ?? false,
    onSync: (ms, records) => {
      syncSeconds.observe(ms / 1000);
      syncedRecords.inc({}, records);
    },
    syncPolicy: j.syncPolicy as SyncPolicy,
    syncIntervalMs: j.syncIntervalMs,
    segmentSizeBytes: j.segmentSizeBytes,
    ...(j.rollDailyAt !== undefined
      ? { roll: { rollDailyAt: j.rollDailyAt, timeZone: j.timeZone } }
      : {}),
    retention: {
      ...(j.retention.maxAgeDays > 0 ? { maxAgeMs: j.retention.maxAgeDays * 86_400_000 } : {}),
      ...(j.retention.maxTotalBytes > 0 ? { maxTotalBytes: j.retention.maxTotalBytes } : {}),
    },
  });
}

/** How often an idle node applies journal retention (it also runs after every roll). */
export const RETENTION_CHECK_INTERVAL_MS = 10 * 60_000;

/**
 * Applies `journal.retention` every {@linkcode RETENTION_CHECK_INTERVAL_MS} (retention also
 * runs after every segment roll; this catches an idle journal); `undefined` when no retention
 * is configured. A storage failure goes to `onFault`.
 */
export function retentionTimer(
  config: TandemConfig,
  journal: Journal,
  log: Logger,
  onFault: (error: JournalFailedError) => void,
): ReturnType<typeof setInterval> | undefined {
  const retention = config.journal.retention;
  if (retention.maxAgeDays <= 0 && retention.maxTotalBytes <= 0) return undefined;
  const timer = setInterval(() => {
    try {
      const removed = journal.applyRetention();
      if (removed.length > 0) log.info("journal segments removed", { removed });
    } catch (err) {
      if (err instanceof JournalFailedError) onFault(err);
      else log.error("journal retention failed", { error: (err as Error).message });
    }
  }, RETENTION_CHECK_INTERVAL_MS);
  Deno.unrefTimer(timer);
  return timer;
}
