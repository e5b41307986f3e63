import type pg from "pg";
import { isFinalState, type JobState } from "../../core/job-state.ts";
import { InvalidOptionError, NotFoundError, TickflowError } from "../../errors.ts";
import type {
  ClaimedJob,
  ClaimRequest,
  InsertResult,
  JobInsert,
  JobStore,
  Lease,
  LeaseGrant,
} from "../ports/job-store.ts";
import type { JobRow } from "../ports/rows.ts";
import { claimedOnInsert, leasableOnInsert } from "../shared/insert-lease.ts";
import { applicableRules } from "../shared/limited-claim.ts";
import { type DbRow, toClaimedJob, toJobRow } from "../shared/rows.ts";
import { storableJobs } from "../shared/storable-jobs.ts";
import type { PostgresConnections } from "./postgres-connections.ts";
import { insertDeduped } from "./postgres-dedupe.ts";
import { compareIds, isBigintId, type PgQueryable } from "./postgres-deps.ts";
import type { PostgresHints } from "./postgres-hints.ts";
import { PostgresJobFinishes } from "./postgres-job-finishes.ts";
import { claimUnderLimits, ENABLED_TYPE, ONE_PER_STATE_KEY, OPEN_QUEUE } from "./postgres-limited-claim.ts";
import { IS_RUNNING, jobInsertStatements, PENDING } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const CLAIMED_COLUMNS = `jobs.id, jobs.type, jobs.queue, jobs.payload, jobs.attempt, jobs.max_attempts, jobs.lease_token,
  jobs.timeout_ms, jobs.backoff, jobs.state_key, jobs.schedule_id, jobs.nominal_at, jobs.started_at, jobs.priority,
  jobs.run_at`;

/**
 * The candidates are an ARRAY(subquery): an init plan run once, an optimization fence the planner
 * cannot inline into the UPDATE (which could lock more rows than LIMIT), and a plan that stays a
 * primary-key probe per claimed row when planned generically (a join to a CTE became a hash join
 * over a scan of every job: 4 ms for 50 at 20 000 jobs). SKIP LOCKED lets concurrent claimers
 * take disjoint rows without waiting on each other.
 * The lease token is the server clock in microseconds (or the old token + 1, should that be
 * larger): claims commit asynchronously (postgres-connections.ts), and a claim lost in a server
 * crash must not hand its token out again — a `+ 1` would, from the restored row, and the lost
 * claim's holder could then finish the new holder's attempt. The clock has moved on by the time
 * the server is back.
 */
function claimStatement(candidates: string, dueGuard: string): string {
  return `UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1,
  lease_token = GREATEST(jobs.lease_token + 1, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint),
  lease_owner = $3, lease_expires_at = $4, started_at = $1
WHERE ${dueGuard} AND jobs.id = ANY(ARRAY(
${candidates}
))
RETURNING ${CLAIMED_COLUMNS}`;
}

/**
 * "Is any job due at all?": the earliest pending run_at, the first entry of jobs_pending_run_at
 * (migration 8), as a one-time filter checked before the candidates are looked for. jobs_due
 * cannot seek on run_at across priorities: without it, a claim with nothing due walked every
 * pending job (cross-process pickup 2.4 ms at 10 000 future jobs, 16-18 ms at 200 000). A min(),
 * not EXISTS(… run_at <= $1): with a backlog due, the planner would answer an EXISTS with a
 * sequential scan that may pass every future job before the first due one.
 */
const dueGuard = (queueFilter: string) =>
  `(SELECT min(d.run_at) FROM jobs AS d WHERE d.state IN ${PENDING}${queueFilter}) <= $1`;

const CLAIM_ORDER = "ORDER BY j.priority DESC, j.run_at, j.id";

/** Every queue: a walk of jobs_due in claim order, stopping after LIMIT claimable rows. */
const CLAIM_JOBS = claimStatement(
  `  SELECT j.id FROM jobs AS j
  WHERE j.state IN ${PENDING} AND j.run_at <= $1 AND ${OPEN_QUEUE} AND ${ENABLED_TYPE} AND ${ONE_PER_STATE_KEY}
  ${CLAIM_ORDER}
  LIMIT $2
  FOR UPDATE SKIP LOCKED`,
  dueGuard(""),
);

/**
 * Some queues: one walk of jobs_claim per queue (queue = q is what lets the index give claim
 * order; `queue = ANY(…)` cannot, and then every due job gets sorted), merged and cut to LIMIT.
 * Each walk may lock up to LIMIT rows; the ones not taken are free again when the statement ends.
 * Queue names must be distinct.
 */
const CLAIM_JOBS_IN_QUEUES = claimStatement(
  `  SELECT j.id FROM unnest($5::text[]) AS q(name)
  CROSS JOIN LATERAL (
    SELECT j.id, j.priority, j.run_at FROM jobs AS j
    WHERE j.queue = q.name AND j.state IN ${PENDING} AND j.run_at <= $1 AND ${OPEN_QUEUE} AND ${ENABLED_TYPE}
      AND ${ONE_PER_STATE_KEY}
    ${CLAIM_ORDER}
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ) AS j
  ${CLAIM_ORDER}
  LIMIT $2`,
  dueGuard(" AND d.queue = ANY($5::text[])"),
);

/** The hot-path statements, for the query-plan test (test/unit/store/query-plans.test.ts). */
export const HOT_PATH_JOB_SQL = { claim: CLAIM_JOBS, claimInQueues: CLAIM_JOBS_IN_QUEUES };

/** The admitted ids of a claim under limits (postgres-limited-claim.ts): $2 the ids. */
const CLAIM_IDS = claimStatement(
  `  SELECT j.id FROM jobs AS j WHERE j.id = ANY($2::bigint[]) AND j.state IN ${PENDING}`,
  "true",
);

const PAUSE_TYPE =
  "INSERT INTO type_pauses (type, paused_at) VALUES ($1, $2) ON CONFLICT (type) DO NOTHING RETURNING type";
const RESUME_TYPE = "DELETE FROM type_pauses WHERE type = $1 RETURNING type";

const EXTEND_LEASES = `UPDATE jobs SET lease_expires_at = $1
FROM unnest($2::bigint[], $3::bigint[]) AS l(id, lease_token)
WHERE jobs.id = l.id AND jobs.lease_token = l.lease_token AND jobs.lease_owner = $4 AND ${IS_RUNNING}
RETURNING jobs.id`;

/** SQLSTATE 40P01: this transaction was chosen to break a deadlock; nothing it did was applied. */
const DEADLOCK_DETECTED = "40P01";

const SELECT_JOB_FOR_UPDATE = "SELECT * FROM jobs WHERE id = $1 FOR UPDATE";

const CANCEL_JOB = `UPDATE jobs SET state = 'cancelled', finished_at = $2, lease_owner = NULL,
  lease_expires_at = NULL, lease_token = lease_token + 1
WHERE id = $1 RETURNING *`;

const RETRY_JOB = `UPDATE jobs SET state = 'available', run_at = $2, finished_at = NULL,
  max_attempts = greatest(max_attempts, attempt + 1)
WHERE id = $1 RETURNING *`;

const PRUNE_FINISHED_JOBS = `WITH gone AS (
  DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1 RETURNING id
),
runs AS (DELETE FROM job_runs WHERE job_id IN (SELECT id FROM gone))
SELECT count(*) AS n FROM gone`;

/**
 * `store.jobs` on PostgreSQL: claims with FOR UPDATE SKIP LOCKED, batches as arrays in one
 * statement each, NOTIFY inside the writing transaction.
 */
export class PostgresJobs extends PostgresJobFinishes implements JobStore {
  private readonly ownInserts = jobInsertStatements("");
  private readonly callerInserts: ReturnType<typeof jobInsertStatements>;

  constructor(
    db: PostgresConnections,
    hints: PostgresHints,
    /** The schema, quoted: a caller's client names tickflow's tables with it. */
    private readonly quotedSchema: string,
  ) {
    super(db, hints);
    this.callerInserts = jobInsertStatements(`${quotedSchema}.`);
  }

  async insertJobs(
    given: readonly JobInsert[],
    now: number,
    options: { client?: unknown; leaseTo?: LeaseGrant } = {},
  ): Promise<InsertResult[]> {
    if (given.length === 0) return [];
    const jobs = storableJobs(given);
    const { client, leaseTo } = options;
    if (client !== undefined && !isQueryable(client)) {
      throw new InvalidOptionError(
        "insertJobs: client must be a pg Client or PoolClient inside an open transaction",
      );
    }
    if (client !== undefined && leaseTo !== undefined) {
      throw new InvalidOptionError("insertJobs: leaseTo cannot join a caller's transaction (client)");
    }
    const fromCaller = client !== undefined;
    const statements = fromCaller ? this.callerInserts : this.ownInserts;
    if (jobs.some((j) => j.dedupe)) return this.insertWithDedupe(jobs, now, client, statements);
    const query = (text: string, params: unknown[], name?: string) =>
      client ? client.query(text, params).then((r) => r.rows) : this.db.write(text, params, name);
    const results = await this.insertBatch(jobs, now, { query, statements, leaseTo, fromCaller });
    if (!client) this.hints.notifyLocal(jobs.filter((_, i) => results[i]?.claimed === undefined));
    return results;
  }

  /**
   * A batch with debounce / throttle / singleton jobs: one job at a time in one transaction (the
   * caller's, or our own), each deduped one under an advisory lock on its key (postgres-dedupe.ts).
   */
  private async insertWithDedupe(
    jobs: readonly JobInsert[],
    now: number,
    client: PgQueryable | undefined,
    statements: ReturnType<typeof jobInsertStatements>,
  ): Promise<InsertResult[]> {
    const fromCaller = client !== undefined;
    const prefix = fromCaller ? `${this.quotedSchema}.` : "";
    const run = async (c: PgQueryable) => {
      const query = (text: string, params: unknown[]) => c.query(text, params).then((r) => r.rows);
      const insertOne = async (job: JobInsert) =>
        (await this.insertBatch([job], now, { query, statements, fromCaller }))[0] as InsertResult;
      const done = await insertDeduped(c, prefix, jobs, now, insertOne);
      await this.hints.notify(c, done.moved);
      return done.results;
    };
    const results = client ? await run(client) : await this.db.transaction(run);
    if (!client) this.hints.notifyLocal(jobs);
    return results;
  }

  /** The one-statement insert of a batch (plus a look-up of the jobs its dedupe keys matched). */
  private async insertBatch(
    jobs: readonly JobInsert[],
    now: number,
    how: {
      query: (text: string, params: unknown[], name?: string) => Promise<DbRow[]>;
      statements: ReturnType<typeof jobInsertStatements>;
      leaseTo?: LeaseGrant | undefined;
      fromCaller: boolean;
    },
  ): Promise<InsertResult[]> {
    const { query, statements, leaseTo } = how;
    const hint = this.hints.payload(jobs, how.fromCaller);
    const values: unknown[] = [
      jobs.map((j) => j.type),
      jobs.map((j) => j.queue),
      jobs.map((j) => j.payload),
      jobs.map((j) => (j.runAt > now ? "scheduled" : "available")),
      jobs.map((j) => j.priority),
      jobs.map((j) => j.maxAttempts),
      jobs.map((j) => j.runAt),
      jobs.map((j) => j.key),
      jobs.map((j) => j.timeoutMs),
      jobs.map((j) => j.backoff),
      jobs.map((j) => j.stateKey),
      now,
      hint,
      jobs.map((j) => j.concurrencyKey ?? null),
      jobs.map((j) => j.dedupe?.key ?? null),
    ];
    if (leaseTo)
      values.push(
        jobs.map((j) => leasableOnInsert(j, now)),
        leaseTo.workerId,
        now + leaseTo.leaseMs,
      );
    const insert = statements.insert({
      keyed: jobs.some((j) => j.key !== null),
      leasing: leaseTo !== undefined,
    });
    const rows = await query(insert.text, values, insert.name);
    const duplicateKeys = [
      ...new Set(rows.filter((r) => r.inserted_id === null).map((r) => r.key as string)),
    ];
    const existing = new Map<string, string>();
    if (duplicateKeys.length > 0) {
      for (const r of await query(statements.existingByKey, [duplicateKeys]))
        existing.set(r.key as string, String(r.id));
    }
    const results = rows.map((r, i): InsertResult => {
      if (r.inserted_id !== null) {
        const id = String(r.inserted_id);
        return r.leased === true
          ? { id, status: "inserted", claimed: claimedOnInsert(id, jobs[i] as JobInsert, now) }
          : { id, status: "inserted" };
      }
      const id = existing.get(r.key as string);
      // Only if the blocking job was deleted between the two statements (pruned within milliseconds).
      if (!id)
        throw new TickflowError("INSERT_RACE", `job key "${r.key}" changed during insert; enqueue it again`);
      return { id, status: "duplicate" };
    });
    return results;
  }

  async claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    const { workerId, queues, limit, leaseMs, now } = request;
    if (limit <= 0 || queues?.length === 0) return [];
    const rules = applicableRules(request.rules, queues);
    const rows =
      rules.length > 0
        ? await this.db.claimTransaction((c) => claimUnderLimits(c, request, rules, CLAIM_IDS))
        : queues
          ? await this.db.claimWrite(
              CLAIM_JOBS_IN_QUEUES,
              [now, limit, workerId, now + leaseMs, [...new Set(queues)]],
              "tickflow_claim_q",
            )
          : await this.db.claimWrite(CLAIM_JOBS, [now, limit, workerId, now + leaseMs], "tickflow_claim");
    // RETURNING gives no order guarantee; hand jobs out in claim order.
    rows.sort(
      (a, b) =>
        Number(b.priority) - Number(a.priority) ||
        Number(a.run_at) - Number(b.run_at) ||
        compareIds(a.id, b.id),
    );
    return rows.map(toClaimedJob);
  }

  async extendLeases(
    workerId: string,
    leases: readonly Lease[],
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    // In id order, and retried when PostgreSQL picks it as a deadlock victim: a renewal races the
    // same worker's finish batch on the same rows (seen in the kill -9 test with three workers).
    const ordered = [...leases].sort((a, b) => compareIds(a.jobId, b.jobId));
    const values = [now + leaseMs, ordered.map((l) => l.jobId), ordered.map((l) => l.leaseToken), workerId];
    let kept: DbRow[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        kept = await this.db.loopWrite(EXTEND_LEASES, values, "tickflow_extend_leases");
        break;
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 3) throw error;
      }
    }
    const held = new Set(kept.map((r) => String(r.id)));
    return leases.filter((l) => !held.has(l.jobId)).map((l) => l.jobId);
  }

  async cancelJob(id: string, now: number): Promise<JobRow> {
    return this.db.transaction(async (c) => {
      const job = await this.lockJob(c, id);
      if (isFinalState(job.state)) return job;
      return toJobRow((await c.query(CANCEL_JOB, [id, now])).rows[0] as DbRow);
    });
  }

  async retryJob(id: string, now: number): Promise<JobRow> {
    const { row, requeued } = await this.db.transaction(async (c) => {
      const job = await this.lockJob(c, id);
      const retryable: JobState[] = ["discarded", "cancelled", "retry_scheduled", "scheduled"];
      if (!retryable.includes(job.state)) return { row: job, requeued: [] };
      const updated = toJobRow((await c.query(RETRY_JOB, [id, now])).rows[0] as DbRow);
      const requeued = [{ queue: updated.queue, runAt: now }];
      await this.hints.notify(c, requeued);
      return { row: updated, requeued };
    });
    this.hints.notifyLocal(requeued);
    return row;
  }

  private async lockJob(c: pg.PoolClient, id: string): Promise<JobRow> {
    const row = isBigintId(id) ? (await c.query(SELECT_JOB_FOR_UPDATE, [id])).rows[0] : undefined;
    if (!row) throw new NotFoundError(`job ${id}`);
    return toJobRow(row);
  }

  async setTypePaused(type: string, paused: boolean, now: number): Promise<boolean> {
    const rows = await this.db.write(paused ? PAUSE_TYPE : RESUME_TYPE, paused ? [type, now] : [type]);
    // Enabled again: its waiting jobs may start now (other processes poll for them).
    if (rows.length > 0 && !paused) this.hints.notifyLocal([{ queue: "", runAt: now }]);
    return rows.length > 0;
  }

  async pruneFinishedJobs(olderThan: number): Promise<number> {
    const [row] = await this.db.write(PRUNE_FINISHED_JOBS, [olderThan]);
    return Number(row?.n ?? 0);
  }
}

function isQueryable(value: unknown): value is PgQueryable {
  return typeof (value as { query?: unknown } | null)?.query === "function";
}
