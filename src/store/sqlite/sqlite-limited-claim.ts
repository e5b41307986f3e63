import { admit, type LimitRule } from "../../core/job-limits.ts";
import type { ClaimRequest } from "../ports/job-store.ts";
import {
  type CandidateRow,
  type CandidateScan,
  candidateOf,
  candidateScans,
  orderCandidates,
  usageFrom,
} from "../shared/limited-claim.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { pendingState, unfinishedState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

/** Running jobs are few (concurrency × processes): grouping all of them is one small index walk. */
export const RUNNING_USAGE = `SELECT queue, type, concurrency_key, count(*) AS n FROM jobs
       WHERE state = 'running' GROUP BY queue, type, concurrency_key`;
/**
 * The queues holding pending jobs, by a loose index scan of jobs_claim (one seek per queue): the
 * uncovered scan then walks only queues no rule covers, instead of every pending job of the
 * limited ones (a full limited backlog made each claim O(backlog)).
 */
const PENDING_QUEUES = `WITH RECURSIVE q(name) AS (
         SELECT (SELECT min(queue) FROM jobs INDEXED BY jobs_claim WHERE ${pendingState()})
         UNION ALL
         SELECT (SELECT min(queue) FROM jobs INDEXED BY jobs_claim WHERE ${pendingState()} AND queue > q.name)
         FROM q WHERE q.name IS NOT NULL)
       SELECT name FROM q WHERE name IS NOT NULL`;
/** Anything due at all (jobs_pending_run_at, migration 8)? An idle claim then stops here. */
const EARLIEST_PENDING = `SELECT min(run_at) AS at FROM jobs INDEXED BY jobs_pending_run_at WHERE ${pendingState()}`;
const BUCKETS = `SELECT name, key, tokens, refilled_at FROM limit_buckets
       WHERE name IN (SELECT value FROM json_each(?))`;
const SAVE_BUCKET = `INSERT INTO limit_buckets (name, key, tokens, refilled_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name, key) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at`;

const PENDING_J = pendingState("j.state");
/** The claim's own eligibility (sqlite-jobs.ts): open queue, enabled type, one per state key. */
export const OPEN_QUEUE = "j.queue NOT IN (SELECT queue FROM queue_gates)";
export const ENABLED_TYPE = "j.type NOT IN (SELECT type FROM type_pauses)";
export const ONE_PER_STATE_KEY = `(j.state_key IS NULL OR (
  NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.state_key = j.state_key AND r.state = 'running')
  AND j.id = (SELECT p.id FROM jobs AS p INDEXED BY jobs_state_key_unfinished
              WHERE p.state_key = j.state_key AND ${unfinishedState("p.state")} AND ${pendingState("p.state")}
                AND p.run_at <= ?
              ORDER BY p.run_at, p.id LIMIT 1)))`;

/**
 * One candidate scan, parameters: now, now (state key), [queues…], scope value or exclusion lists,
 * busy keys (JSON), limit. A queue scope walks jobs_claim in claim order; the rest walk jobs_due.
 */
const scanSql = (scope: "queue" | "type" | "uncovered", queues: number | undefined) => {
  const index = scope === "queue" || queues !== undefined ? "jobs_claim" : "jobs_due";
  const where =
    scope === "queue"
      ? "j.queue = ?"
      : scope === "type"
        ? "j.type = ?"
        : "j.queue NOT IN (SELECT value FROM json_each(?)) AND j.type NOT IN (SELECT value FROM json_each(?))";
  return `SELECT j.id, j.type, j.queue, j.concurrency_key, j.priority, j.run_at FROM jobs AS j INDEXED BY ${index}
       WHERE ${PENDING_J} AND j.run_at <= ? AND ${OPEN_QUEUE} AND ${ENABLED_TYPE} AND ${ONE_PER_STATE_KEY}
         ${queues !== undefined ? `AND j.queue IN (${Array.from({ length: queues }, () => "?").join(", ")})` : ""}
         AND ${where}
         AND (j.concurrency_key IS NULL OR j.concurrency_key NOT IN (SELECT value FROM json_each(?)))
       ORDER BY j.priority DESC, j.run_at, j.id LIMIT ?`;
};

export const CLAIM_IDS = `UPDATE jobs SET state = 'running', attempt = attempt + 1,
         lease_token = lease_token + 1, lease_owner = ?, lease_expires_at = ?, started_at = ?
       WHERE id IN (SELECT value FROM json_each(?)) AND ${pendingState()}
       RETURNING id, type, queue, payload, attempt, max_attempts, lease_token, timeout_ms, backoff,
         state_key, schedule_id, nominal_at, started_at, priority, run_at`;

/**
 * A claim under limits, inside the caller's write transaction (BEGIN IMMEDIATE: one writer at a
 * time across every process on the file, so what it counts cannot change before it commits).
 * Rounds: a round that skipped candidates of a key at its cap, from a full scan, runs again with
 * that key now busy (excluded in the walk), so a flooded key cannot fill the batch.
 */
export function claimUnderLimits(
  deps: SqliteDeps,
  request: ClaimRequest,
  rules: readonly LimitRule[],
): Row[] {
  const due = (deps.stmt(EARLIEST_PENDING).get() as { at: number | null } | undefined)?.at;
  if (due === null || due === undefined || due > request.now) return [];
  const claimed: Row[] = [];
  for (let round = 0; round < MAX_ROUNDS && claimed.length < request.limit; round++) {
    const { rows, again } = claimRound(deps, { ...request, limit: request.limit - claimed.length }, rules);
    claimed.push(...rows);
    if (!again) break;
  }
  return claimed;
}

/** Rounds of one claim at most (a flood of one key costs one extra round; many floods, a few). */
const MAX_ROUNDS = 4;

function claimRound(
  deps: SqliteDeps,
  request: ClaimRequest,
  rules: readonly LimitRule[],
): { rows: Row[]; again: boolean } {
  const { stmt } = deps;
  const { now, limit, workerId, leaseMs } = request;
  const rated = rules.filter((r) => r.rate !== null).map((r) => r.name);
  const buckets = rated.length > 0 ? (stmt(BUCKETS).all(JSON.stringify(rated)) as Row[]) : [];
  const usage = usageFrom(rules, stmt(RUNNING_USAGE).all() as Row[], buckets);
  const found: CandidateRow[] = [];
  let full = false;
  for (const scan of candidateScans(rules, usage, limit, now)) {
    const rows = runScan(deps, scan, request);
    if (scan.rule !== null && rows.length === scan.limit) full = true;
    found.push(...rows);
  }
  const { admitted, buckets: spent, keyBlocked } = admit(orderCandidates(found), rules, usage, limit, now);
  if (admitted.length === 0) return { rows: [], again: false };
  const save = stmt(SAVE_BUCKET);
  for (const b of spent) save.run(b.name, b.key, b.tokens, b.refilledAt);
  const ids = JSON.stringify(admitted.map((c) => Number(c.id)));
  const rows = stmt(CLAIM_IDS).all(workerId, now + leaseMs, now, ids) as Row[];
  return { rows, again: keyBlocked && full && admitted.length < limit };
}

function runScan(deps: SqliteDeps, scan: CandidateScan, request: ClaimRequest): CandidateRow[] {
  const { now } = request;
  const { rule } = scan;
  let queues = request.queues;
  if (rule === null) {
    // Only the queues with pending jobs that no queue rule covers (type rules still filter).
    const pending = (deps.stmt(PENDING_QUEUES).all() as { name: string }[]).map((r) => r.name);
    queues = pending.filter(
      (q) => !scan.excludeQueues.includes(q) && (queues === undefined || queues.includes(q)),
    );
    if (queues.length === 0) return [];
  }
  const scope = rule === null ? "uncovered" : rule.queue !== null ? "queue" : "type";
  if (rule?.queue != null && queues !== undefined && !queues.includes(rule.queue)) return [];
  const where =
    rule === null
      ? [JSON.stringify(scan.excludeQueues), JSON.stringify(scan.excludeTypes)]
      : [rule.queue ?? rule.type];
  const rows = deps
    .stmt(scanSql(scope, queues?.length))
    .all(now, now, ...(queues ?? []), ...where, JSON.stringify(scan.busyKeys), scan.limit) as Row[];
  return rows.map(candidateOf);
}
