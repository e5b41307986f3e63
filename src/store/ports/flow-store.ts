import type { FinishedFlowRunStatus, TriggerSource } from "../../core/flow-run-state.ts";
import type { JobInsert } from "./job-store.ts";
import type { FlowDefinitionRow, FlowRow, FlowRunRow } from "./rows.ts";

/**
 * The data-flow part of the store contract (spec §6): `data_flows` and `data_flow_runs`. Every
 * adapter implements it as `store.flows` (reads are on `store.queries`) and passes test/contract/flow-store-contract.ts.
 *
 * The one cross-process guarantee: **at most one active (`pending` or `in_progress`) run per
 * flow**, enforced by a partial unique index, not by a flag in memory. A run whose job ended
 * without finishing it (worker died and attempts ran out, job cancelled or pruned) is *stale*: the
 * next trigger or claim for its flow, and `releaseStaleRuns`, close it as `failed`, so nothing
 * blocks a flow forever. All times are epoch ms; ids are strings.
 */
export interface FlowStore {
  /**
   * Reconciles code-defined flows: inserts new ones, updates changed ones, marks flows missing from
   * `defs` as removed (their rows and runs stay) and restores re-added ones. `enabled` is never
   * changed by a sync. Idempotent.
   */
  syncFlows(defs: readonly FlowDefinitionRow[], now: number): Promise<FlowSyncReport>;
  /**
   * The seed's `trigger_run!`, atomically: closes the flow's stale run if any, creates a `pending`
   * run (attempt 1) — refused by the unique index when another run is active — inserts `job`
   * (the flow-run job) linked to it, and sets the flow's `last_run_at = now`,
   * `last_run_status = in_progress`. Nothing is written unless the answer is `enqueued`.
   * With `period`, the trigger also claims the (flow's schedule, nominal time) tick row the
   * internal scheduler claims for the same period: when it is already taken — by the scheduler or
   * by another heartbeat, in any process — the answer is `period_taken` and nothing is written.
   */
  triggerRun(request: TriggerRunRequest): Promise<TriggerRunResult>;
  /**
   * Called by a flow-run job before it executes: returns the job's own `pending` run (created by
   * the trigger or by its failed previous attempt), or creates one for a job that has none (fired
   * by a schedule, re-run after a lease expiry). An `in_progress` run of the same job is an
   * attempt that died: it is closed as `failed` first. Another job's active run refuses the claim
   * unless stale. A created run sets `last_run_at` and `last_run_status` as a trigger does.
   */
  claimRun(request: ClaimRunRequest): Promise<ClaimRunResult>;
  /** `pending` → `in_progress` with `started_at = now` (and `last_run_status = in_progress`); null if not pending. */
  startRun(runId: string, now: number): Promise<FlowRunRow | null>;
  /**
   * `in_progress` → `success` | `failed` with `ended_at`, `duration_ms` and the error, and the
   * flow's `last_run_status`. With `retry`, in the same transaction, the job's next attempt's run
   * is created `pending`, so the flow stays taken while the retry waits. A run that is no longer
   * `in_progress` (closed as stale) is left alone: `run` is null.
   */
  finishRun(request: FinishRunRequest): Promise<FinishRunResult>;
  /** Closes every stale active run as `failed`; returns them (already closed). */
  releaseStaleRuns(now: number): Promise<FlowRunRow[]>;

  /** Throws NotFoundError for an unknown flow. */
  setFlowEnabled(name: string, enabled: boolean, now: number): Promise<FlowRow>;
  /**
   * Deletes finished runs that ended before `endedBefore`, and finished runs beyond the newest
   * `keepPerFlow` of each flow (either limit may be null). Active runs are never deleted.
   */
  pruneRuns(limits: { endedBefore: number | null; keepPerFlow: number | null }): Promise<number>;
}

export interface FlowSyncReport {
  created: string[];
  updated: string[];
  removed: string[];
  /** Removed earlier, defined again. */
  restored: string[];
}

export interface TriggerRunRequest {
  flow: string;
  source: TriggerSource;
  /** The flow-run job to insert; the store links it to the run. */
  job: JobInsert;
  now: number;
  /** Claim this schedule tick (`schedule_ticks` key) with the run: a period runs at most once. */
  period?: { scheduleId: string; nominalAt: number };
}

export type TriggerRunResult =
  | { status: "enqueued"; run: FlowRunRow; jobId: string; abandoned: FlowRunRow[] }
  | { status: "already_running"; run: FlowRunRow; abandoned: FlowRunRow[] }
  | { status: "disabled" }
  /** The request's period was already run (or decided) by another driver or process. */
  | { status: "period_taken" }
  /** No such flow, or removed from the code. */
  | { status: "not_found" };

export interface ClaimRunRequest {
  flow: string;
  jobId: string;
  attempt: number;
  /** The source of a run created by the claim. */
  source: TriggerSource;
  /** Refuse to create a run for a disabled flow (a schedule tick); an existing pending run is always claimed. */
  requireEnabled: boolean;
  now: number;
}

export type ClaimRunResult =
  | { status: "claimed"; run: FlowRunRow; created: boolean; abandoned: FlowRunRow[] }
  | { status: "already_running"; run: FlowRunRow; abandoned: FlowRunRow[] }
  | { status: "disabled" }
  | { status: "not_found" };

export interface FinishRunRequest {
  runId: string;
  status: FinishedFlowRunStatus;
  endedAt: number;
  error: { message: string; stack: string | null } | null;
  /** The job runs again as `attempt`: create that run `pending` now. */
  retry: { attempt: number } | null;
}

export interface FinishRunResult {
  /** The finished run; null when it was no longer in progress (nothing changed). */
  run: FlowRunRow | null;
  /** The pending run created for the retry. */
  next: FlowRunRow | null;
}

/** Error message of a run closed because its job ended without finishing it. */
export const ABANDONED_RUN_MESSAGE =
  "abandoned: the flow-run job ended without finishing this run (worker stopped and attempts ran out, or the job was cancelled)";
/** Error message of an in_progress run whose attempt died and whose job runs again. */
export const INTERRUPTED_RUN_MESSAGE =
  "interrupted: the worker running this attempt stopped or lost its lease; the job ran again";
