import type { JobInsert, LeaseGrant } from "../ports/job-store.ts";
import type { ScheduleRow } from "../ports/rows.ts";

/**
 * The SQL fragments more than one SQLite aggregate file runs: the job-state predicates, the one
 * job INSERT and the row selects shared by a write and its read.
 *
 * Job-state predicates for SQLite, spelled as OR chains, never `state IN (…)` with three or more
 * values: SQLite evaluates such a list through an ephemeral table it builds on every run of a
 * statement (two values or fewer compile to plain comparisons), and every write to `jobs`
 * evaluates the predicates of its partial indexes. Measured on the claim + finish cycle of 50-job
 * batches: 16.9 → 11.5 µs/job. Migration 4 declares the partial indexes with these exact
 * predicates; a query that must use one of them (INDEXED BY, ON CONFLICT) spells it identically,
 * because SQLite matches a partial index's predicate structurally.
 */
const chain = (column: string, states: readonly string[]) =>
  `(${states.map((s) => `${column} = '${s}'`).join(" OR ")})`;

/** Waiting to run: scheduled, available or retry_scheduled (due or not yet). */
export const pendingState = (column = "state") =>
  chain(column, ["scheduled", "available", "retry_scheduled"]);

/** Not finished: pending or running. */
export const unfinishedState = (column = "state") =>
  chain(column, ["scheduled", "available", "running", "retry_scheduled"]);

// ── the one job INSERT ──────────────────────────────────────────────────────

/** The columns every inserted job sets, and their values. */
const JOB_COLUMNS =
  "type, queue, payload, priority, max_attempts, run_at, key, timeout_ms, backoff, concurrency_key, dedupe_key, created_at";
const jobValues = (job: JobInsert, now: number): unknown[] => [
  job.type,
  job.queue,
  job.payload,
  job.priority,
  job.maxAttempts,
  job.runAt,
  job.key,
  job.timeoutMs,
  job.backoff,
  job.concurrencyKey ?? null,
  job.dedupe?.key ?? null,
  now,
];

/**
 * The SQLite adapter's INSERT INTO jobs, in its three forms: a new job (the jobs store adds its
 * dedupe clause), a job inserted already claimed, and a job a schedule tick fires. A new column
 * is added here once.
 */
export const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS}, state, state_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** INSERT_JOB's values: a job due by `now` is `available`, a later one `scheduled`. */
export function insertJobValues(job: JobInsert, now: number): unknown[] {
  return [...jobValues(job, now), job.runAt > now ? "scheduled" : "available", job.stateKey];
}

/** INSERT_JOB for `rows` jobs in one statement (a bulk insert's chunk). */
export const insertJobsStatement = (rows: number) =>
  `INSERT INTO jobs (${JOB_COLUMNS}, state, state_key)
       VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ")}`;

/** insertJobValues appended to `params`: a chunk's values without an array per job. */
export function pushInsertJobValues(params: unknown[], job: JobInsert, now: number): void {
  params.push(
    job.type,
    job.queue,
    job.payload,
    job.priority,
    job.maxAttempts,
    job.runAt,
    job.key,
    job.timeoutMs,
    job.backoff,
    job.concurrencyKey ?? null,
    job.dedupe?.key ?? null,
    now,
    job.runAt > now ? "scheduled" : "available",
    job.stateKey,
  );
}

/** A job inserted already claimed (insertJobs with `leaseTo`): the row a claim would leave. */
export const INSERT_LEASED_JOB = `INSERT INTO jobs (${JOB_COLUMNS}, state, attempt, lease_token, lease_owner,
         lease_expires_at, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 1, 1, ?, ?, ?)`;

export function insertLeasedJobValues(job: JobInsert, now: number, grant: LeaseGrant): unknown[] {
  return [...jobValues(job, now), grant.workerId, now + grant.leaseMs, now];
}

/** The job a schedule's `fired` tick inserts, due now, linked to its tick. */
export const INSERT_FIRED_JOB = `INSERT INTO jobs (${JOB_COLUMNS}, state, state_key, schedule_id, nominal_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'available', ?, ?, ?)`;

export function insertFiredJobValues(schedule: ScheduleRow, nominalAt: number, now: number): unknown[] {
  const o = schedule.jobOptions;
  const job: JobInsert = {
    type: schedule.jobType,
    queue: o.queue,
    payload: schedule.payload,
    priority: o.priority,
    maxAttempts: o.maxAttempts,
    runAt: now,
    key: null,
    timeoutMs: o.timeoutMs,
    backoff: o.backoff,
    stateKey: o.stateful ? `schedule:${schedule.id}` : null,
  };
  return [...jobValues(job, now), job.stateKey, schedule.id, nominalAt];
}

// ── rows read by more than one aggregate ────────────────────────────────────

/** A flow row with its schedule's live next fire time (null while disabled, removed or paused). */
export const SELECT_FLOW = `SELECT f.*, s.next_fire_at AS schedule_next_fire_at, s.paused AS schedule_paused
  FROM data_flows AS f LEFT JOIN schedules AS s ON s.id = f.schedule_id`;
export const SELECT_FLOW_RUN = "SELECT * FROM data_flow_runs WHERE id = ?";
export const SELECT_JOB = "SELECT * FROM jobs WHERE id = ?";
export const SELECT_SCHEDULE = "SELECT * FROM schedules WHERE id = ?";

// ── history (shared by the fold and the reads) ──────────────────────────────

/** Where a history fold stands (`source`: "ticks", …): the (at, key) of the last row it counted. */
export const HISTORY_WATERMARK = "SELECT at, key FROM history_watermarks WHERE source = ?";
