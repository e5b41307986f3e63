import type { InsertResult, JobInsert } from "../ports/job-store.ts";
import { dedupeDecision } from "../shared/dedupe.ts";
import type { DbRow } from "../shared/rows.ts";
import type { PgQueryable } from "./postgres-deps.ts";
import { PENDING } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

/**
 * Enqueues with the same dedupe key take turns (to the end of the transaction), so the look-up
 * and the write cannot race: not schema-qualified, a collision across schemas only waits.
 */
const LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended('tickflow:dedupe:' || $1, 0))";
/** Per table prefix ("" or `"schema".`): a caller's client has its own search_path. */
const statementsFor = (prefix: string) => ({
  pending: `SELECT id FROM ${prefix}jobs WHERE dedupe_key = $1 AND state IN ${PENDING}`,
  recent: `SELECT id FROM ${prefix}jobs WHERE dedupe_key = $1 AND created_at >= $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
  replace: `UPDATE ${prefix}jobs SET payload = $2, run_at = $3,
  state = CASE WHEN $3::bigint > $4::bigint THEN 'scheduled' ELSE 'available' END, priority = $5, concurrency_key = $6
WHERE id = $1`,
});

export type InsertOne = (job: JobInsert) => Promise<InsertResult>;

/**
 * Inserts a batch holding debounce / throttle / singleton jobs, one job at a time on `c` (inside
 * a transaction: tickflow's own, or the caller's). Each deduped job locks its key, looks for the
 * job holding it and is replaced into it, dropped, or inserted (`insertOne`, the plain insert).
 * Returns the results and the jobs whose due time a replace moved (to hint workers about).
 */
export async function insertDeduped(
  c: PgQueryable,
  prefix: string,
  jobs: readonly JobInsert[],
  now: number,
  insertOne: InsertOne,
): Promise<{ results: InsertResult[]; moved: JobInsert[] }> {
  const sql = statementsFor(prefix);
  const rows = async (text: string, values: unknown[]) => (await c.query(text, values)).rows as DbRow[];
  const results: InsertResult[] = [];
  const moved: JobInsert[] = [];
  for (const job of jobs) {
    const dedupe = job.dedupe;
    if (!dedupe) {
      results.push(await insertOne(job));
      continue;
    }
    await c.query(LOCK_KEY, [dedupe.key]);
    const [pending] = await rows(sql.pending, [dedupe.key]);
    const [recent] =
      dedupe.mode === "throttle" ? await rows(sql.recent, [dedupe.key, now - dedupe.windowMs]) : [];
    const decision = dedupeDecision(
      dedupe,
      pending ? String(pending.id) : null,
      recent ? String(recent.id) : null,
    );
    if (decision.action === "insert") {
      results.push(await insertOne(job));
      continue;
    }
    if (decision.action === "replace") {
      const values = [decision.id, job.payload, job.runAt, now, job.priority, job.concurrencyKey ?? null];
      await c.query(sql.replace, values);
      moved.push(job);
    }
    results.push({ id: decision.id, status: decision.action === "replace" ? "replaced" : "duplicate" });
  }
  return { results, moved };
}
