/**
 * Acceptance scripts whose expectation contradicts the FIX specification, which Tandem follows
 * instead, and how a run treats them. Pure.
 *
 * A listed script must fail, and fail with its listed reason: then it counts as passed and is
 * printed as a deviation with the reason why. A listed script that passes, or fails otherwise,
 * is a failure (the engine changed: look again, and update the list).
 *
 * @module
 */

import type { ScriptResult } from "./at_runner.ts";

/** Why a script is not followed: the failure it must show (a substring) and the reason. */
export interface SpecDeviation {
  /** A substring of the failure's reason or expected message. */
  readonly reason: string;
  /** Why the script contradicts the specification. */
  readonly why: string;
}

/**
 * Scripts (named as the runner names them, relative to tests/conformance) that expect behaviour
 * the FIX specification rules out, with the failure they must show and why.
 */
export const SPEC_DEVIATIONS: Readonly<Record<string, SpecDeviation>> = {
  "fix50sp2/2r_UnregisteredMsgType.def": {
    reason: "missing 1137=9",
    why: "the script expects DefaultApplVerID (1137) in a BusinessMessageReject (35=j); the FIX " +
      "repository defines 1137 only in the FIXT.1.1 Logon (FIXT11.xml: Logon, " +
      "DefaultApplVerID required='Y') and BusinessMessageReject has no such field " +
      "(FIX50SP2.xml), so Tandem sends it only on the Logon (issue 15)",
  },
};

/** A result after the deviation list was applied. */
export interface Judged {
  /** The result, `passed` when a listed deviation failed as listed. */
  readonly result: ScriptResult;
  /** Set when the script failed exactly as a listed deviation: the reason why. */
  readonly deviation?: string;
}

/** Applies {@linkcode SPEC_DEVIATIONS} (or `deviations`) to one script's result. */
export function judgeResult(
  result: ScriptResult,
  deviations: Readonly<Record<string, SpecDeviation>> = SPEC_DEVIATIONS,
): Judged {
  const d = deviations[result.name];
  if (d === undefined) return { result };
  if (result.passed) {
    return {
      result: {
        ...result,
        passed: false,
        line: 0,
        reason: "listed in SPEC_DEVIATIONS but passed: remove it from the list",
      },
    };
  }
  const text = `${result.reason ?? ""} ${result.expected ?? ""}`;
  if (!text.includes(d.reason)) return { result };
  return { result: { ...result, passed: true }, deviation: d.why };
}
