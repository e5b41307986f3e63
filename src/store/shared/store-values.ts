import { InvalidOptionError } from "../../errors.ts";

/**
 * The numbers a store column can hold, checked before any SQL so both dialects refuse the same
 * values with the same TickflowError (PostgreSQL answered `priority: 2**40` or a fractional
 * `runAt` with a raw driver error, SQLite stored them). The enqueue API checks option types and
 * ranges for the user first (issue 19b); this is the store's own boundary, for every caller.
 */
const INT32_MAX = 2_147_483_647;
/** The last instant a JavaScript Date can show (±8.64e15 ms): a later time cannot be displayed. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/** The reason `value` is not a whole number in [min, max], or null when it is one. */
function wholeIn(value: number, min: number, max: number): string | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return `${String(value)} is not a finite number`;
  if (!Number.isInteger(value)) return `${value} is not a whole number`;
  if (value < min || value > max) return `${value} is outside ${min}…${max}`;
  return null;
}

/** Why `value` is not a storable epoch-ms time, or null. */
export function timeProblem(value: number): string | null {
  return wholeIn(value, 0, MAX_EPOCH_MS);
}

export interface JobNumbers {
  priority: number;
  maxAttempts: number;
  runAt?: number;
  timeoutMs: number | null;
}

/**
 * Whether every number of `job` fits its column: the allocation-free test a bulk insert runs per
 * job; jobNumbersProblem says what is wrong when it does not.
 */
export function jobNumbersFit(job: JobNumbers): boolean {
  const { priority, maxAttempts, runAt, timeoutMs } = job;
  return (
    Number.isInteger(priority) &&
    priority >= -INT32_MAX - 1 &&
    priority <= INT32_MAX &&
    Number.isInteger(maxAttempts) &&
    maxAttempts >= 1 &&
    maxAttempts <= INT32_MAX &&
    (runAt === undefined || (Number.isInteger(runAt) && runAt >= 0 && runAt <= MAX_EPOCH_MS)) &&
    (timeoutMs === null || (Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_EPOCH_MS))
  );
}

/** The first column value of a job the stores cannot hold, as "field: reason", or null. */
export function jobNumbersProblem(job: JobNumbers): string | null {
  const checks: [string, string | null][] = [
    ["priority", wholeIn(job.priority, -INT32_MAX - 1, INT32_MAX)],
    ["maxAttempts", wholeIn(job.maxAttempts, 1, INT32_MAX)],
    ["runAt", job.runAt === undefined ? null : timeProblem(job.runAt)],
    ["timeoutMs", job.timeoutMs === null ? null : wholeIn(job.timeoutMs, 0, MAX_EPOCH_MS)],
  ];
  const bad = checks.find(([, problem]) => problem !== null);
  return bad ? `${bad[0]}: ${bad[1]}` : null;
}

/**
 * Longest name (type, queue, key, state key, schedule id) a store takes: these columns are
 * indexed, and a PostgreSQL index entry holds at most ~2.7 kB (a 1 MB key failed with 54000).
 * Refused, never cut: a cut key would deduplicate jobs that differ.
 */
export const MAX_NAME_CHARS = 512;

/** The first name field over MAX_NAME_CHARS, as "field: reason", or null. */
export function namesProblem(names: Record<string, string | null>): string | null {
  for (const [field, value] of Object.entries(names))
    if (value !== null && value.length > MAX_NAME_CHARS)
      return `${field}: ${value.length} characters is longer than the ${MAX_NAME_CHARS} a store takes`;
  return null;
}

/** Throws InvalidOptionError naming the job (by position) and the field a store cannot hold. */
export function assertStorableJobs(
  jobs: readonly (JobNumbers & { names?: Record<string, string | null> })[],
  what = "job",
): void {
  jobs.forEach((job, i) => {
    const problem = jobNumbersProblem(job) ?? (job.names ? namesProblem(job.names) : null);
    if (problem !== null) {
      const which = jobs.length > 1 ? `${what} ${i + 1} of ${jobs.length}` : what;
      throw new InvalidOptionError(`${which}: ${problem}; nothing was stored`);
    }
  });
}
