import type { JobInsert } from "../store.ts";

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
