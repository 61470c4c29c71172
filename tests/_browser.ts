/**
 * A real headless Chromium for browser tests, driven by `playwright-core` under Deno (no
 * browser download: it drives the system's Chromium, Debian's `chromium` package, installed by
 * `.ci/install_browser.sh`).
 *
 * Missing browser: a test fails loudly when the environment variable `CI` is set, and is skipped
 * with a message otherwise, so a developer without Chromium can still run the suite.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Chromium is looked for, first match wins (`TANDEM_CHROMIUM` overrides). */
export const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser"] as const;

/**
 * Flags for a quiet, offline, root-safe headless Chromium (Playwright adds `--headless` and a
 * fresh temporary profile directory of its own for every launch).
 */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** The Chromium executable, or undefined when none is installed. */
export function findChromium(): string | undefined {
  for (const path of chromiumCandidates()) {
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not there
    }
  }
  return undefined;
}

function chromiumCandidates(): readonly string[] {
  const override = Deno.env.get("TANDEM_CHROMIUM");
  return override ? [override] : CHROMIUM_PATHS;
}

/** Whether this run is CI (where a missing browser is a failure, not a skip). */
export function inCi(): boolean {
  const ci = Deno.env.get("CI");
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false";
}

/**
 * What a browser test should do: `run` with the executable, or `skip` with the reason
 * (printed). In CI a missing browser gives `run` with no executable, and {@linkcode launch}
 * then throws, so the test fails and says how to install it.
 */
export function browserPlan(): { ignore: boolean; executable: string | undefined } {
  const executable = findChromium();
  if (executable === undefined && !inCi()) {
    console.warn(
      `SKIPPING browser tests: no Chromium at ${chromiumCandidates().join(" or ")} ` +
        "(set TANDEM_CHROMIUM, or run .ci/install_browser.sh); with CI set they fail instead",
    );
    return { ignore: true, executable };
  }
  return { ignore: false, executable };
}

/** Launches headless Chromium. */
export async function launch(executable: string | undefined): Promise<Browser> {
  if (executable === undefined) {
    throw new Error(
      `Cannot run the browser test: no Chromium at ${
        chromiumCandidates().join(" or ")
      } (CI is set, so this is a failure: run .ci/install_browser.sh or set TANDEM_CHROMIUM)`,
    );
  }
  return await chromium.launch({
    executablePath: executable,
    headless: true,
    chromiumSandbox: false,
    args: [...CHROMIUM_FLAGS],
    timeout: 60_000,
  });
}
