import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

/**
 * Debian's chromium package (never a downloaded browser build); `.ci/run` installs it when missing.
 * TICKFLOW_TEST_CHROMIUM points elsewhere (test/dashboard/browser-skip.test.ts names a missing one).
 */
export const CHROMIUM = process.env.TICKFLOW_TEST_CHROMIUM ?? "/usr/bin/chromium";

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** Headless Chromium with nothing that reaches the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
