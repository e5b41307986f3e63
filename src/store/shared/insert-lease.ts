import type { ClaimedJob, JobInsert } from "../ports/job-store.ts";

/**
 * Whether insertJobs may insert this job already leased (`leaseTo`): it is due and has no state
 * key (keyed jobs wait for their turn in the claim). The adapter also checks the queue's gates,
 * in the inserting transaction.
 */
export function leasableOnInsert(job: JobInsert, now: number): boolean {
  return job.runAt <= now && job.stateKey === null && !job.dedupe;
}

/** The claim a leased insert stands for: what claimJobs would have returned for the new row. */
export function claimedOnInsert(id: string, job: JobInsert, now: number): ClaimedJob {
  return {
    id,
    type: job.type,
    queue: job.queue,
    payload: job.payload,
    attempt: 1,
    maxAttempts: job.maxAttempts,
    leaseToken: 1,
    timeoutMs: job.timeoutMs,
    backoff: job.backoff,
    stateKey: null,
    scheduleId: null,
    nominalAt: null,
    startedAt: now,
    priority: job.priority,
    runAt: job.runAt,
  };
}
