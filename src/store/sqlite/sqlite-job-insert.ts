import type { JobInsert, LeaseGrant } from "../store.ts";

/** The one INSERT INTO jobs of the SQLite adapter (the jobs store adds its dedupe clause). */
export const INSERT_JOB = `INSERT INTO jobs (type, queue, payload, state, priority, max_attempts, run_at, key, timeout_ms, backoff, state_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** INSERT_JOB's values: a job due by `now` is `available`, a later one `scheduled`. */
export function insertJobValues(job: JobInsert, now: number): unknown[] {
  return [
    job.type,
    job.queue,
    job.payload,
    job.runAt > now ? "scheduled" : "available",
    job.priority,
    job.maxAttempts,
    job.runAt,
    job.key,
    job.timeoutMs,
    job.backoff,
    job.stateKey,
    now,
  ];
}

/** A job inserted already claimed (insertJobs with `leaseTo`): the row a claim would leave. */
export const INSERT_LEASED_JOB = `INSERT INTO jobs (type, queue, payload, state, priority, max_attempts, run_at, key, timeout_ms, backoff, created_at,
         attempt, lease_token, lease_owner, lease_expires_at, started_at)
       VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?)`;

export function insertLeasedJobValues(job: JobInsert, now: number, grant: LeaseGrant): unknown[] {
  return [
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
    grant.workerId,
    now + grant.leaseMs,
    now,
  ];
}
