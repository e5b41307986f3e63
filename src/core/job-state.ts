import { InvalidTransitionError } from "../errors.ts";

/**
 * Job states, spec §1:
 * - `scheduled`: waiting for its `runAt`.
 * - `available`: due, waiting for a worker.
 * - `running`: leased by one worker until `leaseExpiresAt`.
 * - `succeeded`: the handler returned.
 * - `retry_scheduled`: an attempt failed; waits for its backoff, then runs again.
 * - `discarded`: attempts exhausted (or the handler discarded it).
 * - `cancelled`: cancelled before it finished.
 * A `scheduled`/`retry_scheduled` job whose time has come is claimable as if `available`;
 * reads report it as `available` (the store promotes lazily, no promotion loop is needed).
 */
export const JOB_STATES = [
  "scheduled",
  "available",
  "running",
  "succeeded",
  "retry_scheduled",
  "discarded",
  "cancelled",
] as const;
export type JobState = (typeof JOB_STATES)[number];

export const PENDING_STATES = ["scheduled", "available", "retry_scheduled"] as const;
export const FINAL_STATES = ["succeeded", "discarded", "cancelled"] as const;

const TRANSITIONS: Record<JobState, readonly JobState[]> = {
  scheduled: ["available", "running", "cancelled"],
  available: ["running", "cancelled"],
  retry_scheduled: ["available", "running", "cancelled"],
  // running → available is a release (shutdown) or a rescued expired lease.
  running: ["succeeded", "retry_scheduled", "discarded", "cancelled", "available"],
  succeeded: [],
  // A discarded or cancelled job may be retried by hand.
  discarded: ["available"],
  cancelled: ["available"],
};

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new InvalidTransitionError(`job ${jobId} is ${from} and cannot become ${to}`);
  }
}

export function isFinalState(state: JobState): boolean {
  return (FINAL_STATES as readonly string[]).includes(state);
}

/**
 * Outcomes of one attempt, recorded on its run row.
 * `lease_lost`: the completion arrived after another worker took the job; it was not applied.
 * `abandoned`: the worker died; the reaper found the expired lease.
 * `released`: graceful shutdown handed the job back; the attempt does not count.
 */
export const RUN_OUTCOMES = [
  "succeeded",
  "failed",
  "timed_out",
  "discarded",
  "lease_lost",
  "abandoned",
  "released",
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
