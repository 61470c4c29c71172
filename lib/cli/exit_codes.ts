/**
 * Process exit codes of the `tandem` command, in one table (printed by `--help`).
 *
 * @module
 */

/** Exit codes by name. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** A runtime failure; for `check-config`, an invalid configuration; for `promote`, a refusal. */
  Failure: 1,
  /** Bad command-line usage or an invalid configuration: nothing was started. */
  Usage: 2,
  /** An initiator's connection strategy gave up (`connect.exitOnFatal`). */
  FatalConnection: 3,
  /**
   * The journal is corrupt, or ends before its checkpoint (a missing or rewound
   * newest segment); the node refused to start (see `journal verify`/`repair`,
   * `--accept-journal-rewind`).
   */
  JournalCorrupt: 4,
  /**
   * Journal storage failed (a write, sync or open error: disk full, I/O error,
   * read-only file system): the node stopped serving, gave up leadership and
   * exited, or refused to start. The log names the file and the OS error.
   */
  StorageFailed: 5,
  /** The data directory is locked by another running process (one node per data directory). */
  DataDirLocked: 6,
} as const;

/** One of the {@linkcode ExitCode} values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** What each exit code means, for help text and documentation. */
export const EXIT_CODE_MEANINGS: Readonly<Record<ExitCodeValue, string>> = {
  0: "success",
  1: "runtime failure; check-config: configuration invalid; promote: refused or unreachable",
  2: "usage or configuration error (nothing was started)",
  3: "fatal connection failure (initiator strategy gave up, connect.exitOnFatal)",
  4: "journal corrupt or rewound (the node refused to start; see journal verify/repair)",
  5: "journal storage failed (disk full, I/O error, read-only): stopped serving and exited",
  6: "data directory locked by another running node (its pid is in the message)",
};
