import type { InsertResult, JobInsert } from "../ports/job-store.ts";
import { dedupeDecision } from "../shared/dedupe.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { pendingState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

/** The pending job holding a dedupe key (jobs_dedupe_pending: at most one). */
const PENDING_BY_DEDUPE = `SELECT id FROM jobs INDEXED BY jobs_dedupe_pending
       WHERE dedupe_key = ? AND dedupe_key IS NOT NULL AND ${pendingState()}`;
/** The newest job with the key created at or after a time, in any state (throttle). */
const RECENT_BY_DEDUPE = `SELECT id FROM jobs WHERE dedupe_key = ? AND dedupe_key IS NOT NULL AND created_at >= ?
       ORDER BY created_at DESC, id DESC LIMIT 1`;
/** Debounce: the pending job takes the newer payload and due time, keeping its id. */
const REPLACE_PENDING = `UPDATE jobs SET payload = ?, run_at = ?, state = CASE WHEN ? > ? THEN 'scheduled' ELSE 'available' END,
         priority = ?, concurrency_key = ?
       WHERE id = ?`;

/**
 * Debounce / throttle / singleton for one job, inside the caller's write transaction (one writer
 * at a time on the file, so the look-up and the write cannot race another enqueue). Returns the
 * result when the job was replaced into or dropped for an existing one; undefined: insert it.
 */
export function dedupeOnInsert(deps: SqliteDeps, job: JobInsert, now: number): InsertResult | undefined {
  const dedupe = job.dedupe;
  if (!dedupe) return undefined;
  const pending = deps.stmt(PENDING_BY_DEDUPE).get(dedupe.key) as Row | undefined;
  const recent =
    dedupe.mode === "throttle"
      ? (deps.stmt(RECENT_BY_DEDUPE).get(dedupe.key, now - dedupe.windowMs) as Row | undefined)
      : undefined;
  const decision = dedupeDecision(
    dedupe,
    pending ? String(pending.id) : null,
    recent ? String(recent.id) : null,
  );
  if (decision.action === "insert") return undefined;
  if (decision.action === "replace")
    deps
      .stmt(REPLACE_PENDING)
      .run(job.payload, job.runAt, job.runAt, now, job.priority, job.concurrencyKey ?? null, decision.id);
  return { id: decision.id, status: decision.action === "replace" ? "replaced" : "duplicate" };
}
