import type { FlowLastRunStatus, FlowRunStatus, TriggerSource } from "../../core/flow-run-state.ts";
import type { MonitorState } from "../../core/hysteresis.ts";
import type { JobState, RunOutcome } from "../../core/job-state.ts";
import type { MisfirePolicy, OverlapPolicy, TickDecision, TickReason } from "../../core/misfire.ts";
import type { Trigger } from "../../core/triggers.ts";

/**
 * What the store keeps, as every adapter hands it out: the vocabulary the write ports, the read
 * door (store-queries.ts) and the surfaces share. All times are epoch milliseconds; ids are strings
 * (bigint-safe).
 */

// ── jobs ────────────────────────────────────────────────────────────────────

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
  /** The partition key per-key limits count by. */
  concurrencyKey: string | null;
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

export interface QueueCount {
  queue: string;
  state: JobState;
  count: number;
  /** For pending states: the oldest runAt that is due, to show waiting age. */
  oldestRunAt: number | null;
}

// ── schedules (spec §2) ─────────────────────────────────────────────────────

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
  /** How late a fired tick may start and count as on time; null: the default. */
  toleranceMs?: number | null;
  /** Optional metadata to filter by (absent: none). */
  owner?: string | null;
  tenant?: string | null;
  labels?: ScheduleLabels;
}

/** Free-form labels on a schedule: names as job names are, values up to 200 characters. */
export type ScheduleLabels = Readonly<Record<string, string>>;

/** `code`: declared by defineSchedule and reconciled at start; `runtime`: made by `schedules.upsert`. */
export type ScheduleSource = "code" | "runtime";

export interface ScheduleJobOptions {
  /** Fires carry the state key `schedule:<id>` (durable ctx.state, one run at a time). */
  stateful: boolean;
  queue: string;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
  backoff: string;
}

export interface ScheduleRow
  extends Omit<
    ScheduleDefinitionRow,
    "initialNextFireAt" | "trigger" | "owner" | "tenant" | "labels" | "toleranceMs"
  > {
  /** Null only when the stored trigger is not valid JSON (`broken` then says so). */
  trigger: Trigger | null;
  source: ScheduleSource;
  toleranceMs: number | null;
  owner: string | null;
  tenant: string | null;
  labels: ScheduleLabels;
  /** For a code schedule: the hash of the code-schedule set that last wrote it (see ScheduleDeployRow). */
  declaredBy: string | null;
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

/** Which schedules a listing wants: every given field must match (labels: every given pair). */
export interface ScheduleFilter {
  source?: ScheduleSource;
  owner?: string;
  tenant?: string;
  labels?: ScheduleLabels;
}

/**
 * A code version as the store saw it: the hash of the code-schedule set it declares, its order
 * (a higher version is newer: it reconciles, older ones running beside it write nothing) and when
 * a process declaring it last started or checked in.
 */
export interface ScheduleDeployRow {
  codeHash: string;
  version: number;
  scheduleKeys: string[];
  firstSeenAt: number;
  lastSeenAt: number;
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

/**
 * A tick joined with its job (state, attempt, finish): what the overview draws and the history
 * fold counts, as both adapters read it (raw column values; shared/history-fold.ts maps them).
 */
export interface FoldTickRow {
  schedule_id: string;
  nominal_at: number | string;
  decision: string;
  reason: string | null;
  decided_at: number | string;
  job_id: number | string | null;
  started_at: number | string | null;
  job_state: string | null;
  job_attempt: number | null;
  job_finished_at: number | string | null;
}

// ── data flows (spec §6) ────────────────────────────────────────────────────

/** What the code defines about a flow, as stored. */
export interface FlowDefinitionRow {
  name: string;
  /** Null: the flow runs only when triggered. */
  schedule: Trigger | null;
  /** The stored schedule that fires the flow (its next fire time is the flow's next run). */
  scheduleId: string | null;
  queue: string;
  /** Retries after a failed first attempt: the flow-run job gets `retries + 1` attempts. */
  retries: number;
  timeoutMs: number | null;
  /** JSON of a core BackoffPolicy. */
  backoff: string;
  /** The first fire time, for display until the schedule has one. */
  nextRunAt: number | null;
}

export interface FlowRow extends FlowDefinitionRow {
  enabled: boolean;
  /** When the flow disappeared from the code; null while defined. */
  removedAt: number | null;
  lastRunAt: number | null;
  lastRunStatus: FlowLastRunStatus | null;
  createdAt: number;
  updatedAt: number;
}

export interface FlowRunRow {
  id: string;
  flow: string;
  status: FlowRunStatus;
  source: TriggerSource;
  /** Attempt number of the flow-run job this run is (1 for the first). */
  attempt: number;
  /** The flow-run job; every retry of one trigger shares it. */
  jobId: string | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  errorMessage: string | null;
  errorStack: string | null;
}

// ── liveness monitors (spec §5) ─────────────────────────────────────────────

/** What code defines about a monitor; stored so that any process can show it. */
export interface MonitorDefinitionRow {
  name: string;
  /** The job type that runs the check (`monitor.<name>`). */
  jobType: string;
  /** A description of what is checked, e.g. `GET https://api.example.com/health` or `check()`. */
  target: string;
  intervalMs: number;
  timeoutMs: number;
  riseAfter: number;
  fallAfter: number;
  /** Queues closed while the monitor is OFFLINE (and UNKNOWN with `gateUnknown`). */
  gates: string[];
  gateUnknown: boolean;
}

export interface MonitorCheckResult {
  at: number;
  ok: boolean;
  durationMs: number;
  error: string | null;
}

export interface MonitorRow extends MonitorDefinitionRow {
  state: MonitorState;
  successes: number;
  failures: number;
  /** Counted checks so far. */
  checks: number;
  lastCheck: MonitorCheckResult | null;
  lastTransition: MonitorTransitionRow | null;
  /** The queues this monitor holds closed now. */
  closedQueues: string[];
  createdAt: number;
  updatedAt: number;
}

export interface MonitorTransitionRow {
  monitor: string;
  seq: number;
  at: number;
  from: MonitorState;
  to: MonitorState;
  successes: number;
  failures: number;
  /** The failing check's error, for a transition to OFFLINE. */
  error: string | null;
}

export interface QueueGateRow {
  queue: string;
  monitor: string;
  closedAt: number;
}

/** A job type disabled cluster-wide: no claim starts its jobs. */
export interface TypePauseRow {
  type: string;
  pausedAt: number;
}

/** Why due jobs under a limit are not starting (`none`: nothing holds them; they start on the next claim). */
export type LimitWaitReason = "concurrency" | "key" | "rate" | "paused" | "none";

/** One concurrency key's usage under a limit. */
export interface LimitKeyUsage {
  key: string;
  running: number;
  /** Due jobs of this key waiting. */
  waiting: number;
  /** Tokens left in the key's bucket (per-key rates), else null. */
  tokens: number | null;
}

/** A limit's usage now (queries.limitUsage). */
export interface LimitUsageRow {
  name: string;
  queue: string | null;
  type: string | null;
  concurrency: number | null;
  perKey: number | null;
  rate: { limit: number; periodMs: number; perKey: boolean } | null;
  /** Jobs of the scope running now (prefetched ones included: they hold their slot). */
  running: number;
  /** Tokens left in the scope's bucket (scope-wide rates), else null. */
  tokens: number | null;
  /** Due jobs of the scope not started, and why, by reason. */
  waiting: number;
  waitingBy: Record<LimitWaitReason, number>;
  /** The busiest keys (running, then waiting), at most 50. */
  keys: LimitKeyUsage[];
}
