/**
 * The options of `TandemNode.start` besides the configuration.
 *
 * @module
 */

import type { Application } from "../engine/mod.ts";
import type { JournalStorage } from "../journal/mod.ts";
import type { Logger as TandemLogger } from "../log/mod.ts";
import type { ConnectorEvent } from "../transport/mod.ts";

/** Options for `TandemNode.start`. */
export interface TandemNodeOptions {
  readonly logger: TandemLogger;
  /** Reads a file (custom dictionaries); default `Deno.readTextFile`. */
  readonly readTextFile?: (path: string) => Promise<string>;
  /**
   * Initiator sessions: every connection event (connecting, connected, logged on, failed over,
   * attempt failed, fatal failure, …) besides the logs and metrics.
   */
  readonly onConnectionEvent?: (session: string, event: ConnectorEvent) => void;
  /**
   * Start even when the journal ends before its checkpoint (a missing or
   * rewound newest segment; `--accept-journal-rewind`). Default false: refuse.
   */
  readonly acceptJournalRewind?: boolean;
  /** Journal storage instead of files in `node.dataDir` (tests inject faults with `MemoryStorage`). */
  readonly journalStorage?: JournalStorage;
  /**
   * Your own applications by name: a session with `application: <name>` is served by
   * `applications[name]` (one object for all sessions naming it; the session handle says
   * which). Like the built-in executor they run behind application cursors, so after a failover
   * the new primary hands them the messages whose answers the replica lacked, with the same
   * `MessageContext` ids. The names echo, executor and api are taken.
   */
  readonly applications?: Readonly<Record<string, Application>>;
}
