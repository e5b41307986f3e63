import type { JobInsert, LeaseGrant } from "../store.ts";

/** The columns every inserted job sets, and their values. */
const JOB_COLUMNS =
  "type, queue, payload, priority, max_attempts, run_at, key, timeout_ms, backoff, created_at";
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
  now,
];

/** The one INSERT INTO jobs of the SQLite adapter (the jobs store adds its dedupe clause). */
export const INSERT_JOB = `INSERT INTO jobs (${JOB_COLUMNS}, state, state_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** INSERT_JOB's values: a job due by `now` is `available`, a later one `scheduled`. */
export function insertJobValues(job: JobInsert, now: number): unknown[] {
  return [...jobValues(job, now), job.runAt > now ? "scheduled" : "available", job.stateKey];
}

/** A job inserted already claimed (insertJobs with `leaseTo`): the row a claim would leave. */
export const INSERT_LEASED_JOB = `INSERT INTO jobs (${JOB_COLUMNS}, state, attempt, lease_token, lease_owner,
         lease_expires_at, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 1, 1, ?, ?, ?)`;

export function insertLeasedJobValues(job: JobInsert, now: number, grant: LeaseGrant): unknown[] {
  return [...jobValues(job, now), grant.workerId, now + grant.leaseMs, now];
}
