import type { LimitRule } from "../../core/job-limits.ts";
import type { RunOutcome } from "../../core/job-state.ts";
import type { JobRow } from "./rows.ts";

/**
 * `store.jobs`: the write verbs of the job queue (spec §1, §3). Every adapter passes
 * test/contract/store-contract.ts. Reads are on `store.queries`. Every method that compares
 * times takes `now` from the caller's Clock.
 */
export interface JobStore {
  /**
   * Inserts jobs, all or nothing. A job whose `key` matches an unfinished job (scheduled,
   * available, running, retry_scheduled) is not inserted: the result says `duplicate` with the
   * existing id. `state` is `scheduled` when `runAt > now`, else `available`.
   *
   * With `leaseTo` (never with `client`), a job that is due, has no state key and whose queue no
   * monitor holds closed is inserted already claimed — `running`, attempt 1, leased to
   * `leaseTo.workerId` until `now + leaseMs` — exactly as claimJobs would leave it, and comes back
   * with `claimed` set: an idle worker in the enqueuing process starts it without a second round
   * trip. Other jobs in the call are inserted as usual; no one else is hinted about leased ones.
   */
  insertJobs(
    jobs: readonly JobInsert[],
    now: number,
    options?: { client?: unknown; leaseTo?: LeaseGrant },
  ): Promise<InsertResult[]>;
  /**
   * Leases up to `limit` due jobs (runAt ≤ now, pending state) from `queues` (all when omitted)
   * whose queue no monitor holds closed (`monitors`, queue gating),
   * highest priority first, then oldest runAt, then id. Each becomes `running` with
   * `attempt + 1`, a fresh `leaseToken` and `leaseExpiresAt = now + leaseMs`. No job is given to
   * two workers, across processes.
   */
  claimJobs(request: ClaimRequest): Promise<ClaimedJob[]>;
  /** Renews leases this worker still holds; returns the ids whose lease was lost (fenced). */
  extendLeases(workerId: string, leases: readonly Lease[], leaseMs: number, now: number): Promise<string[]>;
  /**
   * Applies attempt outcomes in one transaction: job transition, run row, durable state and the
   * schedule tick's start time. A finish whose lease token no longer holds the job changes nothing
   * but a `lease_lost` run row, and reports `lease_lost`.
   */
  finishAttempts(finishes: readonly AttemptFinish[]): Promise<FinishResult[]>;
  /**
   * Graceful shutdown: `running` → `available`, claimable at once but keeping its place (run_at
   * and priority unchanged), lease cleared, attempt not counted, with a `released` run row — none
   * with `unstarted` (jobs a worker prefetched and never started: no attempt happened).
   */
  releaseJobs(
    workerId: string,
    leases: readonly Lease[],
    now: number,
    options?: { unstarted?: boolean },
  ): Promise<number>;
  /**
   * Jobs whose lease expired (their worker died or stalled): back to `available`, keeping their
   * place (run_at, priority) — or `discarded` when attempts are spent — with an `abandoned` run
   * row. Returns how many were rescued.
   */
  rescueExpiredLeases(now: number): Promise<number>;
  /** Cancels a pending or running job (a running one finishes as lease_lost). */
  cancelJob(id: string, now: number): Promise<JobRow>;
  /** Makes a discarded, cancelled or retry-scheduled job available now. */
  retryJob(id: string, now: number): Promise<JobRow>;
  /** Deletes finished jobs and their runs ended before `olderThan`; returns how many jobs. */
  pruneFinishedJobs(olderThan: number): Promise<number>;
  /**
   * Disables (`paused`) or enables a job type cluster-wide: no claim starts a job of a disabled
   * type; its jobs wait, keeping their place. Returns whether anything changed.
   */
  setTypePaused(type: string, paused: boolean, now: number): Promise<boolean>;
}

/**
 * Debounce, throttle and singleton (insertJobs): matched on `key` among jobs with the same key.
 * - debounce: a pending job with the key is replaced (payload, runAt) — status `replaced`;
 * - throttle: a job with the key created within `windowMs` (any state) drops this one — `duplicate`;
 * - singleton: a pending job with the key drops this one — `duplicate` (a running one does not).
 */
export interface DedupeInsert {
  mode: "debounce" | "throttle" | "singleton";
  key: string;
  windowMs: number;
}

export interface JobInsert {
  type: string;
  queue: string;
  /** JSON text. */
  payload: string;
  priority: number;
  maxAttempts: number;
  runAt: number;
  key: string | null;
  timeoutMs: number | null;
  /** JSON of a core BackoffPolicy. */
  backoff: string;
  stateKey: string | null;
  /** The partition key per-key limits count by. */
  concurrencyKey?: string | null;
  dedupe?: DedupeInsert | null;
}

export interface InsertResult {
  id: string;
  status: "inserted" | "duplicate" | "replaced";
  /** Set when the job was inserted leased (`leaseTo`): the claim the worker runs. */
  claimed?: ClaimedJob;
}

/** Whom insertJobs leases eligible jobs to, and for how long. */
export interface LeaseGrant {
  workerId: string;
  leaseMs: number;
}

export interface ClaimRequest {
  workerId: string;
  queues: readonly string[] | undefined;
  limit: number;
  leaseMs: number;
  now: number;
  /**
   * Cluster-wide limits to hold (core/job-limits.ts): counted in the claim's transaction, so at no
   * instant do more jobs of a rule's scope run (leased, prefetched ones included) than it allows.
   */
  rules?: readonly LimitRule[];
}

export interface ClaimedJob {
  id: string;
  type: string;
  queue: string;
  payload: string;
  attempt: number;
  maxAttempts: number;
  leaseToken: number;
  timeoutMs: number | null;
  backoff: string;
  stateKey: string | null;
  scheduleId: string | null;
  nominalAt: number | null;
  startedAt: number;
  /** The claim order's keys, for a worker that holds claimed jobs before it starts them. */
  priority: number;
  runAt: number;
}

export interface Lease {
  jobId: string;
  leaseToken: number;
}

export type FinishNext =
  | { state: "succeeded" }
  | { state: "retry_scheduled"; runAt: number }
  | { state: "discarded" };

export interface AttemptFinish extends Lease {
  workerId: string;
  attempt: number;
  startedAt: number;
  endedAt: number;
  outcome: Extract<RunOutcome, "succeeded" | "failed" | "timed_out" | "discarded">;
  next: FinishNext;
  error: { message: string; stack: string | null } | null;
  /** Durable state to save atomically with the outcome (JSON text), when the job has a stateKey. */
  state: { key: string; json: string } | null;
  /** The schedule tick this job came from, to record its actual start. */
  tick: { scheduleId: string; nominalAt: number } | null;
}

export type FinishResult = "applied" | "lease_lost";
