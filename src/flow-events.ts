import type { FlowRunStatus, TriggerSource } from "./core/flow-run-state.ts";

/**
 * Data-flow events (spec §6), part of TickflowEventMap: delivered to `tickflow.on(event, cb)` and
 * published on node:diagnostics_channel as `tickflow:flow:enqueue`, `tickflow:flow:start`,
 * `tickflow:flow:finish`, `tickflow:flow:skip` and `tickflow:flow:sync`.
 *
 * Every run emits `flow:enqueue` (its row is created `pending`), `flow:start` (`in_progress`,
 * right before `run(ctx)`) and `flow:finish` (`success` or `failed`); each carries the flow name,
 * run id, status, attempt and duration (null until the run ends).
 */
export interface FlowEventMap {
  "flow:enqueue": FlowRunEvent & {
    status: "pending";
    /** The queue the flow-run job waits in. */
    queue: string;
    durationMs: null;
  };
  "flow:start": FlowRunEvent & { status: "in_progress"; startedAt: number; durationMs: null };
  "flow:finish": FlowRunEvent & {
    status: Extract<FlowRunStatus, "success" | "failed">;
    /** Null for a run abandoned before it started. */
    startedAt: number | null;
    endedAt: number;
    durationMs: number | null;
    error: Error | null;
    /** The flow-run job runs again: a new run (attempt + 1) is already pending. */
    willRetry: boolean;
    /** Closed because its job ended without finishing it (worker died, job cancelled). */
    abandoned: boolean;
  };
  /** A trigger or a scheduled run was refused; nothing ran. */
  "flow:skip": {
    flow: string;
    source: TriggerSource;
    /** `period_taken`: a heartbeat found its schedule period already run (scheduler or heartbeat). */
    reason: "already_running" | "disabled" | "period_taken";
    /** With `already_running`: the active run and its start (null while pending). */
    activeRunId: string | null;
    activeStartedAt: number | null;
    /** The flow-run job that was refused (scheduled runs); null for a refused trigger. */
    jobId: string | null;
  };
  /** Startup reconciliation of the code's flows with `data_flows`. */
  "flow:sync": { created: string[]; updated: string[]; removed: string[]; restored: string[] };
}

export interface FlowRunEvent {
  flow: string;
  runId: string;
  jobId: string | null;
  source: TriggerSource;
  /** The flow-run job's attempt this run is (1 for the first). */
  attempt: number;
}
