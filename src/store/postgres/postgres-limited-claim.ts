import type pg from "pg";
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
import type { DbRow } from "../shared/rows.ts";
import { PENDING } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

/**
 * One advisory lock per rule, held to the end of the claim's transaction: claims that meet a rule
 * take turns, so each counts what the previous one committed. Keyed by schema and rule name.
 */
const LOCK_RULE = "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':limit:' || $1, 0))";
/** Running jobs are few (concurrency × processes): grouping all of them walks jobs_running_lease. */
export const RUNNING_USAGE = `SELECT queue, type, concurrency_key, count(*) AS n FROM jobs
WHERE state = 'running' GROUP BY queue, type, concurrency_key`;
/**
 * The queues holding pending jobs, by a loose index scan of jobs_claim (one seek per queue): the
 * uncovered scan then walks only queues no rule covers, instead of every pending job of the
 * limited ones (a full limited backlog made each claim O(backlog)).
 */
const PENDING_QUEUES = `WITH RECURSIVE q(name) AS (
  SELECT (SELECT min(queue) FROM jobs WHERE state IN ${PENDING})
  UNION ALL
  SELECT (SELECT min(queue) FROM jobs WHERE state IN ${PENDING} AND queue > q.name) FROM q WHERE q.name IS NOT NULL
)
SELECT name FROM q WHERE name IS NOT NULL`;
/** Anything due at all (jobs_pending_run_at, migration 8)? An idle claim then takes no lock. */
const EARLIEST_PENDING = `SELECT min(run_at) AS at FROM jobs WHERE state IN ${PENDING}`;
const BUCKETS = "SELECT name, key, tokens, refilled_at FROM limit_buckets WHERE name = ANY($1::text[])";
const SAVE_BUCKETS = `INSERT INTO limit_buckets (name, key, tokens, refilled_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::bigint[])
ON CONFLICT (name, key) DO UPDATE SET tokens = excluded.tokens, refilled_at = excluded.refilled_at`;

/** The claim's own eligibility (postgres-jobs.ts): open queue, enabled type, one per state key. */
export const OPEN_QUEUE = "j.queue NOT IN (SELECT g.queue FROM queue_gates AS g)";
export const ENABLED_TYPE = "j.type NOT IN (SELECT t.type FROM type_pauses AS t)";
export const ONE_PER_STATE_KEY = `CASE WHEN j.state_key IS NULL THEN true ELSE (
    NOT EXISTS (SELECT 1 FROM jobs AS r WHERE r.state_key = j.state_key AND r.state = 'running')
    AND j.id = (SELECT p.id FROM jobs AS p
                WHERE p.state_key = j.state_key AND p.state IN ${PENDING} AND p.run_at <= $1
                ORDER BY p.run_at, p.id LIMIT 1)) END`;

/**
 * A candidate scan: $1 now, $2 the claim's queues (null: all), $3 the scope (a queue or type name;
 * for the uncovered scan the covered queues), $4 the covered types, $5 busy keys, $6 limit.
 * Locked SKIP LOCKED like the plain claim: claimers outside this rule's lock skip these rows.
 */
const scan = (scope: "queue" | "type" | "uncovered") => {
  const where =
    scope === "queue"
      ? "j.queue = $3::text AND $4::text[] IS NULL"
      : scope === "type"
        ? "j.type = $3::text AND $4::text[] IS NULL"
        : "NOT (j.queue = ANY($3::text[])) AND NOT (j.type = ANY($4::text[]))";
  return `SELECT j.id, j.type, j.queue, j.concurrency_key, j.priority, j.run_at FROM jobs AS j
WHERE j.state IN ${PENDING} AND j.run_at <= $1 AND ($2::text[] IS NULL OR j.queue = ANY($2::text[]))
  AND ${where} AND ${OPEN_QUEUE} AND ${ENABLED_TYPE} AND ${ONE_PER_STATE_KEY}
  AND (j.concurrency_key IS NULL OR NOT (j.concurrency_key = ANY($5::text[])))
ORDER BY j.priority DESC, j.run_at, j.id
LIMIT $6
FOR UPDATE OF j SKIP LOCKED`;
};
const SCANS = { queue: scan("queue"), type: scan("type"), uncovered: scan("uncovered") };

/**
 * A claim under limits, in one transaction on `c`: lock the rules, then rounds of count, scan,
 * admit (core), claim the admitted ids with `claimIds` (postgres-jobs.ts's claim UPDATE) and save
 * spent buckets. A round that skipped candidates of a key at its cap, from a full scan, runs again
 * with that key now busy (excluded in the walk), so a flooded key cannot fill the batch.
 */
export async function claimUnderLimits(
  c: pg.PoolClient,
  request: ClaimRequest,
  rules: readonly LimitRule[],
  claimIds: string,
): Promise<DbRow[]> {
  const [due] = (await c.query(EARLIEST_PENDING)).rows;
  if (due?.at === null || due === undefined || Number(due.at) > request.now) return [];
  for (const name of rules.map((r) => r.name).sort()) await c.query(LOCK_RULE, [name]);
  const claimed: DbRow[] = [];
  for (let round = 0; round < MAX_ROUNDS && claimed.length < request.limit; round++) {
    const left = { ...request, limit: request.limit - claimed.length };
    const { rows, again } = await claimRound(c, left, rules, claimIds);
    claimed.push(...rows);
    if (!again) break;
  }
  return claimed;
}

/** Rounds of one claim at most (a flood of one key costs one extra round; many floods, a few). */
const MAX_ROUNDS = 4;

async function claimRound(
  c: pg.PoolClient,
  request: ClaimRequest,
  rules: readonly LimitRule[],
  claimIds: string,
): Promise<{ rows: DbRow[]; again: boolean }> {
  const { now, limit, workerId, leaseMs } = request;
  const rated = rules.filter((r) => r.rate !== null).map((r) => r.name);
  const buckets = rated.length > 0 ? (await c.query(BUCKETS, [rated])).rows : [];
  const usage = usageFrom(rules, (await c.query(RUNNING_USAGE)).rows, buckets);
  const found: CandidateRow[] = [];
  let full = false;
  for (const s of candidateScans(rules, usage, limit, now)) {
    const rows = await runScan(c, s, request);
    if (s.rule !== null && rows.length === s.limit) full = true;
    found.push(...rows);
  }
  const { admitted, buckets: spent, keyBlocked } = admit(orderCandidates(found), rules, usage, limit, now);
  if (admitted.length === 0) return { rows: [], again: false };
  if (spent.length > 0)
    await c.query(SAVE_BUCKETS, [
      spent.map((b) => b.name),
      spent.map((b) => b.key),
      spent.map((b) => b.tokens),
      spent.map((b) => b.refilledAt),
    ]);
  const ids = admitted.map((a) => a.id);
  const rows = (await c.query(claimIds, [now, ids, workerId, now + leaseMs])).rows;
  return { rows, again: keyBlocked && full && admitted.length < limit };
}

async function runScan(c: pg.PoolClient, s: CandidateScan, request: ClaimRequest): Promise<CandidateRow[]> {
  const { rule } = s;
  let queues = request.queues ? [...new Set(request.queues)] : null;
  if (rule?.queue != null && queues !== null && !queues.includes(rule.queue)) return [];
  if (rule === null) {
    // Only the queues with pending jobs that no queue rule covers (type rules still filter).
    const pending = (await c.query(PENDING_QUEUES)).rows.map((r) => r.name as string);
    const wanted = queues;
    queues = pending.filter((q) => !s.excludeQueues.includes(q) && (wanted === null || wanted.includes(q)));
    if (queues.length === 0) return [];
  }
  const [text, scope, types] =
    rule === null
      ? [SCANS.uncovered, s.excludeQueues, s.excludeTypes]
      : [rule.queue !== null ? SCANS.queue : SCANS.type, rule.queue ?? rule.type, null];
  const { rows } = await c.query(text, [request.now, queues, scope, types, s.busyKeys, s.limit]);
  return rows.map(candidateOf);
}
