import type { JobState, RunOutcome } from "../core/job-state.ts";
import type { MisfirePolicy, OverlapPolicy, TickDecision, TickPlan, TickReason } from "../core/misfire.ts";
import type { Trigger } from "../core/triggers.ts";
import type { FlowStore } from "./flow-store.ts";
import type { MonitorStore } from "./monitor-store.ts";
import type { HistoryStore } from "./ports/history.ts";

/**
 * The store contract: everything tickflow persists goes through these verbs, and every adapter
 * (SQLite, PostgreSQL) passes the same contract suite (test/contract/store-contract.ts).
 * All times are epoch milliseconds; every method that compares times takes `now` from the caller's
 * Clock, so tests need no timer mocking and both dialects agree. Ids are strings (bigint-safe).
 */
export interface Store {
  readonly dialect: "sqlite" | "postgres";
  readonly capabilities: StoreCapabilities;
  /** Liveness monitors and queue gates (spec §5): see monitor-store.ts. */
  readonly monitors: MonitorStore;
  /** Data flows and their runs (spec §6): see flow-store.ts. */
  readonly flows: FlowStore;
  /** Rollups, retention and deep tick history (spec §11): store/ports/history.ts. */
  readonly history: HistoryStore;

  /** Applies pending migrations. Idempotent; safe when several processes start at once. */
  migrate(): Promise<MigrationReport>;
  /** Migrations the code knows that the database has not applied yet (for `migrate --dry-run`). */
  pendingMigrations(): Promise<{ version: number; name: string }[]>;
  close(): Promise<void>;
  /**
   * The database server's clock (epoch ms), for stores shared by several machines: the composition
   * root follows it (runtime/database-clock) so every process passes the same `now`. Absent where
   * one machine's clock is the only one (SQLite).
   */
  databaseNow?(): Promise<number>;

  // ── jobs ────────────────────────────────────────────────────────────────────
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
   * and priority unchanged), lease cleared, attempt not counted.
   */
  releaseJobs(workerId: string, leases: readonly Lease[], now: number): Promise<number>;
  /**
   * Jobs whose lease expired (their worker died or stalled): back to `available`, keeping their
   * place (run_at, priority) — or `discarded` when attempts are spent — with an `abandoned` run
   * row. Returns how many were rescued.
   */
  rescueExpiredLeases(now: number): Promise<number>;
  /** The earliest `runAt` of a pending job in `queues`, or null; arms the worker's timer. */
  nextRunAt(queues: readonly string[] | undefined): Promise<number | null>;
  /** Cancels a pending or running job (a running one finishes as lease_lost). */
  cancelJob(id: string, now: number): Promise<JobRow>;
  /** Makes a discarded, cancelled or retry-scheduled job available now. */
  retryJob(id: string, now: number): Promise<JobRow>;
  getJob(id: string): Promise<JobRow | null>;
  listJobRuns(jobId: string): Promise<JobRunRow[]>;
  listJobs(filter: JobFilter): Promise<JobRow[]>;
  countJobs(now: number): Promise<QueueCount[]>;
  /** Deletes finished jobs and their runs ended before `olderThan`; returns how many jobs. */
  pruneFinishedJobs(olderThan: number): Promise<number>;

  // ── durable job state (spec §3) ────────────────────────────────────────────
  /** The state saved by the last applied finish for `stateKey`, or undefined. */
  loadJobState(stateKey: string): Promise<unknown>;

  // ── schedules (spec §2) ────────────────────────────────────────────────────
  /**
   * Reconciles code-defined schedules: inserts new ones, updates changed ones (keeping
   * `nextFireAt` when the trigger is unchanged, else taking `initialNextFireAt`), and deletes
   * code-defined schedules missing from `defs` (their tick history stays). Idempotent.
   */
  syncSchedules(defs: readonly ScheduleDefinitionRow[], now: number): Promise<SyncReport>;
  /**
   * Decides and records every due tick of up to `limit` due schedules in one transaction per
   * schedule: tick rows keyed `(scheduleId, nominalAt)` (insert-or-ignore), one job per inserted
   * `fired` tick, `nextFireAt` advanced. Two schedulers racing on the same tick: one wins, the
   * other records nothing. `plan` is pure (core/misfire) and must not do I/O.
   */
  fireDueSchedules(request: FireRequest): Promise<FiredTick[]>;
  /** The earliest `nextFireAt` of any schedule, or null: arms the scheduler's timer. */
  nextScheduleFireAt(): Promise<number | null>;
  setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow>;
  getSchedule(id: string): Promise<ScheduleRow | null>;
  listSchedules(): Promise<ScheduleRow[]>;
  listTicks(scheduleId: string, options?: { limit?: number; since?: number }): Promise<TickRow[]>;
  /** Subscribes to "jobs were inserted" hints; returns an unsubscribe function. */
  onJobsInserted(listener: (hint: JobsInsertedHint) => void): () => void;
}

export interface StoreCapabilities {
  /** Claims skip rows locked by other transactions (PostgreSQL); SQLite serializes writers instead. */
  skipLocked: boolean;
  /** Insert hints reach other processes (LISTEN/NOTIFY); otherwise they poll. */
  pushNotify: boolean;
  /** `insertJobs(…, { client })` joins the caller's transaction. */
  transactionalEnqueue: boolean;
}

export interface MigrationReport {
  applied: { version: number; name: string }[];
  version: number;
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
}

export interface InsertResult {
  id: string;
  status: "inserted" | "duplicate";
  /** Set when the job was inserted leased (`leaseTo`): the claim the worker runs. */
  claimed?: ClaimedJob;
}

/** Whom insertJobs leases eligible jobs to, and for how long. */
export interface LeaseGrant {
  workerId: string;
  leaseMs: number;
}

export interface JobsInsertedHint {
  queues: string[];
  /** The earliest runAt among the inserted jobs. */
  earliestRunAt: number;
}

export interface ClaimRequest {
  workerId: string;
  queues: readonly string[] | undefined;
  limit: number;
  leaseMs: number;
  now: number;
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

export interface JobRow {
  id: string;
  type: string;
  queue: string;
  /** The decoded payload; the stored text when it is not valid JSON (see `undecodable`). */
  payload: unknown;
  /** What of the stored row could not be read (a list shows it marked), or null. */
  undecodable: string | null;
  state: JobState;
  priority: number;
  attempt: number;
  maxAttempts: number;
  runAt: number;
  key: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  timeoutMs: number | null;
  stateKey: string | null;
  scheduleId: string | null;
  nominalAt: number | null;
  lastError: string | null;
  createdAt: number;
  finishedAt: number | null;
}

export interface JobRunRow {
  id: string;
  jobId: string;
  attempt: number;
  workerId: string;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  outcome: RunOutcome;
  errorMessage: string | null;
  errorStack: string | null;
}

export interface JobFilter {
  states?: readonly JobState[];
  queue?: string;
  type?: string;
  limit?: number;
  /** Cursor: only jobs with a smaller id (lists are newest first). */
  beforeId?: string;
}

export interface QueueCount {
  queue: string;
  state: JobState;
  count: number;
  /** For pending states: the oldest runAt that is due, to show waiting age. */
  oldestRunAt: number | null;
}

export interface ScheduleDefinitionRow {
  id: string;
  jobType: string;
  payload: string;
  trigger: Trigger;
  misfire: MisfirePolicy;
  graceMs: number;
  overlap: OverlapPolicy;
  /** JSON of the job options every fire uses (queue, priority, maxAttempts, timeoutMs, backoff). */
  jobOptions: ScheduleJobOptions;
  /** The first fire time if the schedule is new or its trigger changed. */
  initialNextFireAt: number | null;
}

export interface ScheduleJobOptions {
  /** Fires carry the state key `schedule:<id>` (durable ctx.state, one run at a time). */
  stateful: boolean;
  queue: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
  backoff: string;
}

export interface ScheduleRow extends Omit<ScheduleDefinitionRow, "initialNextFireAt" | "trigger"> {
  /** Null only when the stored trigger is not valid JSON (`broken` then says so). */
  trigger: Trigger | null;
  paused: boolean;
  /**
   * Why the schedule is set aside (state `broken`): its stored trigger or options could not be
   * read, or planning its next fire failed (a bad cron, an unknown time zone). A broken schedule
   * never fires and does not hold up the others; the next sync of its definition (a start or
   * deploy) clears it. Null when the schedule is healthy.
   */
  broken: string | null;
  /** When it was set aside; null when healthy (or broken only in this read, not yet recorded). */
  brokenAt: number | null;
  nextFireAt: number | null;
  lastFireAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface SyncReport {
  created: string[];
  updated: string[];
  removed: string[];
}

export interface FireRequest {
  now: number;
  limit: number;
  /** May throw for a schedule it cannot plan: that schedule is set aside as broken, the rest fire. */
  plan(schedule: ScheduleRow, previousRunUnfinished: boolean): TickPlan;
  /** Told of each schedule this call set aside (state broken), with why. */
  onBroken?(scheduleId: string, error: string): void;
}

export interface FiredTick {
  scheduleId: string;
  nominalAt: number;
  decision: TickDecision;
  reason: TickReason;
  jobId: string | null;
}

export interface TickRow {
  scheduleId: string;
  nominalAt: number;
  decision: TickDecision;
  reason: TickReason;
  decidedAt: number;
  jobId: string | null;
  /** When the fired job's first attempt started; lateness = startedAt − nominalAt. */
  startedAt: number | null;
}
