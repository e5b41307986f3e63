/**
 * Data flow runs (spec §6, seeds 003/004). Every attempt of a flow is one run row:
 * - `pending`: created (by a trigger, a schedule tick or a failed attempt that will retry), waiting
 *   for its flow-run job to start it.
 * - `in_progress`: its job started executing the flow (`started_at` set before `run(ctx)`).
 * - `success`: `run(ctx)` returned.
 * - `failed`: `run(ctx)` threw or timed out — or the run was abandoned: its job ended (worker died
 *   and attempts ran out, job cancelled) without finishing it. The error message says which.
 * `pending` and `in_progress` are the active statuses: at most one active run per flow, across
 * every process, enforced by a partial unique index in the store.
 */
export const FLOW_RUN_STATUSES = ["pending", "in_progress", "success", "failed"] as const;
export type FlowRunStatus = (typeof FLOW_RUN_STATUSES)[number];

export const ACTIVE_FLOW_RUN_STATUSES = ["pending", "in_progress"] as const;
export const FINISHED_FLOW_RUN_STATUSES = ["success", "failed"] as const;
export type FinishedFlowRunStatus = (typeof FINISHED_FLOW_RUN_STATUSES)[number];

/**
 * What started a run: `schedule` (the flow's own schedule), `manual` (library call or CLI),
 * `heartbeat` (the HTTP heartbeat endpoint), `api` (the REST API).
 */
export const TRIGGER_SOURCES = ["schedule", "manual", "heartbeat", "api"] as const;
export type TriggerSource = (typeof TRIGGER_SOURCES)[number];

/**
 * `data_flows.last_run_status`: `in_progress` from the moment a run is triggered (seed 003 4.4)
 * until it ends, then the run's own outcome. Null until the first trigger.
 */
export type FlowLastRunStatus = "in_progress" | "success" | "failed";

const TRANSITIONS: Record<FlowRunStatus, readonly FlowRunStatus[]> = {
  // pending → failed: abandoned before it started (its job was cancelled or discarded).
  pending: ["in_progress", "failed"],
  in_progress: ["success", "failed"],
  success: [],
  failed: [],
};

export function canTransitionFlowRun(from: FlowRunStatus, to: FlowRunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isActiveFlowRun(status: FlowRunStatus): boolean {
  return status === "pending" || status === "in_progress";
}

export function isFlowRunStatus(value: unknown): value is FlowRunStatus {
  return (FLOW_RUN_STATUSES as readonly unknown[]).includes(value);
}

export function isTriggerSource(value: unknown): value is TriggerSource {
  return (TRIGGER_SOURCES as readonly unknown[]).includes(value);
}

/** The flow's `last_run_status` while its latest run has `status`. */
export function lastRunStatusFor(status: FlowRunStatus): FlowLastRunStatus {
  return isActiveFlowRun(status) ? "in_progress" : status === "success" ? "success" : "failed";
}

/**
 * Whether the job that failed attempt `attempt` of `maxAttempts` runs again — the same rule as
 * core/backoff `afterFailure`, so the failing attempt can already hold the flow's slot for it.
 */
export function willRetry(attempt: number, maxAttempts: number): boolean {
  return attempt < maxAttempts;
}

/** Per-flow statistics over the kept (finished) runs. */
export interface FlowRunStats {
  /** Finished runs considered. */
  runs: number;
  succeeded: number;
  failed: number;
  /** succeeded / runs, in [0, 1]; null without runs. */
  successRate: number | null;
  /** Nearest-rank percentiles of the finished runs' durations; null without durations. */
  p50DurationMs: number | null;
  p95DurationMs: number | null;
}

/** Statistics over finished runs (active ones are ignored). */
export function summarizeFlowRuns(
  runs: readonly { status: FlowRunStatus; durationMs: number | null }[],
): FlowRunStats {
  let succeeded = 0;
  let failed = 0;
  const durations: number[] = [];
  for (const run of runs) {
    if (run.status === "success") succeeded++;
    else if (run.status === "failed") failed++;
    else continue;
    if (run.durationMs !== null) durations.push(run.durationMs);
  }
  durations.sort((a, b) => a - b);
  const total = succeeded + failed;
  return {
    runs: total,
    succeeded,
    failed,
    successRate: total === 0 ? null : succeeded / total,
    p50DurationMs: percentile(durations, 50),
    p95DurationMs: percentile(durations, 95),
  };
}

/** Nearest-rank percentile of ascending `sorted` values (p in (0, 100]); null when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
