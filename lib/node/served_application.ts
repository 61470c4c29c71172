/**
 * The application behind each served session: the built-in executor, echo or
 * api, or one of the node's own, wrapped to count and log every message and
 * (except api) behind an application cursor (see `app_cursor.ts`).
 *
 * @module
 */

import { BUILTIN_APPLICATIONS } from "../config/mod.ts";
import { type Application, echoApplication, executorApplication } from "../engine/mod.ts";
import type { Journal } from "../journal/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { FixMessage } from "../fix/message.ts";
import { cursoredApplication } from "./app_cursor.ts";
import type { NodeMetrics } from "./node_metrics.ts";

// "<SOH>43=Y<SOH>" and "<SOH>123=Y<SOH>": PossDupFlag and GapFillFlag set
const POSS_DUP_FLAG = new Uint8Array([1, 0x34, 0x33, 0x3d, 0x59, 1]);
const GAP_FILL_FLAG = new Uint8Array([1, 0x31, 0x32, 0x33, 0x3d, 0x59, 1]);
/** Label names of the per-message counters (one array each: their series are cached by it). */
const MESSAGE_LABELS = ["session", "direction", "msg_type"] as const;
const REJECT_LABELS = ["session", "kind"] as const;
const RESEND_LABELS = ["session", "msg_type"] as const;

/**
 * Whether `bytes` contains `flag` (a short SOH-delimited field). One plain loop over the bytes: it
 * runs for every message sent, and an `indexOf` call per field cost about three times as much.
 */
function hasFlag(bytes: Uint8Array, flag: Uint8Array): boolean {
  const last = bytes.length - flag.length;
  const first = flag[1]!;
  outer: for (let i = 0; i <= last; i++) {
    if (bytes[i] !== 1 || bytes[i + 1] !== first) continue;
    for (let k = 2; k < flag.length; k++) if (bytes[i + k] !== flag[k]) continue outer;
    return true;
  }
  return false;
}

/** What {@linkcode servedApplication} needs from the node. */
export interface ServedApplicationDeps {
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly journal: Journal;
  /** The node's own applications by name (`TandemNodeOptions.applications`). */
  readonly own: Readonly<Record<string, Application>>;
}

/**
 * The application serving session `key`: the built-in or own application
 * named `kind`, counted and logged, behind an application cursor (except
 * `api`, whose programs read the journal).
 *
 * @throws {RangeError} when no application has that name
 */
export function servedApplication(
  kind: string,
  key: string,
  deps: ServedApplicationDeps,
): Application {
  const log = deps.log.child({ session: key });
  const count = (dir: string) => (m: FixMessage) => {
    deps.metrics.messages.incLabelled(MESSAGE_LABELS, key, dir, m.msgType);
    log.fix("in", m);
  };
  const base: Application = kind === "executor"
    ? executorApplication()
    : kind === "echo"
    ? echoApplication()
    : kind === "api"
    ? {} // api: programs read received messages from the journal over the WebSocket stream
    : ownApp(deps.own, kind, key);
  const inbound = count("in");
  // Methods are called on `base` (never copied off it): an application may be a class instance.
  const inner: Application = {
    ...(base.authorizeLogon ? { authorizeLogon: (m, s) => base.authorizeLogon!(m, s) } : {}),
    onLogon: (s) => {
      deps.metrics.logons.inc({ session: s.key });
      deps.log.info("session logged on", { session: s.key });
      base.onLogon?.(s);
    },
    onLogout: (s, reason) => {
      deps.metrics.logouts.inc({ session: s.key });
      deps.log.info("session ended", { session: s.key, reason });
      base.onLogout?.(s, reason);
    },
    onAdmin: (m, s) => {
      inbound(m);
      base.onAdmin?.(m, s);
    },
    onSent: (msgType, seqNum, bytes, s) => {
      deps.metrics.messages.incLabelled(MESSAGE_LABELS, s.key, "out", msgType);
      if (msgType === "3" || msgType === "j") {
        const kind = msgType === "3" ? "session" : "business";
        deps.metrics.rejects.incLabelled(REJECT_LABELS, s.key, kind);
      }
      if (msgType === "4" && hasFlag(bytes, GAP_FILL_FLAG)) {
        deps.metrics.gapFills.inc({ session: s.key });
      } else if (hasFlag(bytes, POSS_DUP_FLAG)) {
        deps.metrics.resends.incLabelled(RESEND_LABELS, s.key, msgType);
      }
      log.fix("out", bytes);
      base.onSent?.(msgType, seqNum, bytes, s);
    },
  };
  const withCount: Application = {
    ...inner,
    onMessage: (m, s, c) => {
      inbound(m);
      base.onMessage?.(m, s, c);
    },
  };
  return kind === "api" ? withCount : cursoredApplication(withCount, deps.journal, kind);
}

function ownApp(
  own: Readonly<Record<string, Application>>,
  name: string,
  key: string,
): Application {
  const app = Object.hasOwn(own, name) ? own[name] : undefined;
  if (app === undefined) {
    const known = [...BUILTIN_APPLICATIONS, ...Object.keys(own)].join(", ");
    throw new RangeError(
      `Cannot start session ${key}: no application named "${name}" (known: ${known})`,
    );
  }
  return app;
}

/** One application that hands each call to the application of the session it names. */
export function dispatcher(appOf: (key: string) => Application | undefined): Application {
  return {
    onLogon: (s) => appOf(s.key)?.onLogon?.(s),
    onLogout: (s, r) => appOf(s.key)?.onLogout?.(s, r),
    onMessage: (m, s, c) => appOf(s.key)?.onMessage?.(m, s, c),
    onAdmin: (m, s) => appOf(s.key)?.onAdmin?.(m, s),
    onSent: (t, n, b, s) => appOf(s.key)?.onSent?.(t, n, b, s),
    authorizeLogon: (m, s) => appOf(s.key)?.authorizeLogon?.(m, s),
  };
}
