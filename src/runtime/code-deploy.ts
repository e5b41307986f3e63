import { createHash } from "node:crypto";
import type { ScheduleDefinitionRow } from "../store/ports/rows.ts";
import type { CodeDeclaration } from "../store/shared/schedule-deploys.ts";

/** A process that has not checked in for this long is taken for gone (crashed): 3 missed check-ins. */
export const DEPLOY_STALE_MS = 3 * 60_000;
/** How often a running process checks its code version in. */
export const DEPLOY_CHECK_IN_MS = 60_000;

/**
 * The code version of a set of code-schedule definitions: a hash of what they store (their
 * first fire time aside, which depends on the clock), so two processes with the same code agree
 * and any change to a declared schedule makes a new version.
 */
export function codeDeclaration(rows: readonly ScheduleDefinitionRow[]): CodeDeclaration {
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const hash = createHash("sha256");
  for (const { initialNextFireAt: _first, ...row } of sorted) hash.update(`${JSON.stringify(row)}\n`);
  return {
    codeHash: hash.digest("hex").slice(0, 16),
    scheduleKeys: sorted.map((r) => r.id),
    staleMs: DEPLOY_STALE_MS,
  };
}

/** Checks a code version in every DEPLOY_CHECK_IN_MS while the process runs (timer unref'd). */
export function startCheckIn(checkIn: () => Promise<void>, onError: (error: Error) => void): () => void {
  const timer = setInterval(() => void checkIn().catch(onError), DEPLOY_CHECK_IN_MS);
  timer.unref();
  return () => clearInterval(timer);
}
