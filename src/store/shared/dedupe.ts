import type { DedupeInsert } from "../ports/job-store.ts";

export type DedupeDecision = { action: "insert" } | { action: "replace" | "drop"; id: string };

/**
 * What debounce / throttle / singleton do with a new job, given the pending job holding its key
 * and (throttle) the newest job with the key created within the window. Both adapters ask this
 * after locking the key (SQLite: the write transaction; PostgreSQL: an advisory lock on the key).
 * - debounce: replace the pending one (it takes the new payload and due time), else insert;
 * - singleton: drop while one is pending (a running one does not count), else insert;
 * - throttle: drop while one is pending or one was created within the window, else insert.
 */
export function dedupeDecision(
  dedupe: DedupeInsert,
  pendingId: string | null,
  recentId: string | null,
): DedupeDecision {
  if (dedupe.mode === "debounce")
    return pendingId ? { action: "replace", id: pendingId } : { action: "insert" };
  if (pendingId) return { action: "drop", id: pendingId };
  if (dedupe.mode === "throttle" && recentId) return { action: "drop", id: recentId };
  return { action: "insert" };
}
