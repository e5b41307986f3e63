import type { JobRow } from "../../store/ports/rows.ts";

/** An ISO time, or null for none — and for a stored time past what a Date can show (marked undecodable). */
export const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !representable(ms) ? null : new Date(ms).toISOString();
const representable = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;

/** What of a job row cannot be shown: an unreadable payload, or times no Date can hold. */
function undecodable(job: JobRow): string | null {
  const problems = job.undecodable === null ? [] : [job.undecodable];
  const times = { runAt: job.runAt, createdAt: job.createdAt, finishedAt: job.finishedAt };
  for (const [field, ms] of Object.entries(times))
    if (ms !== null && !representable(ms)) problems.push(`the stored ${field} (${ms}) is not a valid time`);
  return problems.length > 0 ? problems.join("; ") : null;
}

/** A job as the API shows it (api-schemas.ts Job). */
export function jobView(job: JobRow) {
  return {
    id: job.id,
    type: job.type,
    queue: job.queue,
    state: job.state,
    payload: job.payload,
    priority: job.priority,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    runAt: iso(job.runAt),
    key: job.key,
    concurrencyKey: job.concurrencyKey,
    scheduleId: job.scheduleId,
    scheduledFor: iso(job.nominalAt),
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: iso(job.leaseExpiresAt),
    lastError: job.lastError,
    createdAt: iso(job.createdAt),
    finishedAt: iso(job.finishedAt),
    undecodable: undecodable(job),
  };
}
