import type { RollupSample } from "../../core/rollup.ts";

/**
 * Job runs and flow runs as rollup samples, for both adapters: a job attempt counts for its queue,
 * a flow run for its flow. The SQL that reads them differs per dialect; what they count does not.
 */

/** A job_runs row with its job's queue, as both adapters read it for a fold. */
export interface FoldJobRunRow {
  id: number | string;
  queue: string;
  ended_at: number | string;
  duration_ms: number | string;
  outcome: string;
}

/** An ended data_flow_runs row, as both adapters read it for a fold. */
export interface FoldFlowRunRow {
  id: number | string;
  flow: string;
  status: string;
  ended_at: number | string;
  duration_ms: number | string | null;
}

/**
 * An attempt's outcome in the vocabulary: succeeded, or failed (failed, timed out, discarded,
 * abandoned by a dead worker). A released attempt (graceful shutdown) or one whose completion
 * lost its lease did not finish the job: counted, with no outcome.
 */
function attemptOutcome(outcome: string): "succeeded" | "failed" | null {
  if (outcome === "succeeded") return "succeeded";
  if (outcome === "released" || outcome === "lease_lost") return null;
  return "failed";
}

export function jobRunSample(row: FoldJobRunRow): RollupSample {
  return {
    subject: "queue",
    name: row.queue,
    at: Number(row.ended_at),
    outcome: attemptOutcome(row.outcome),
    durationMs: Number(row.duration_ms),
  };
}

export function flowRunSample(row: FoldFlowRunRow): RollupSample {
  return {
    subject: "flow",
    name: row.flow,
    at: Number(row.ended_at),
    outcome: row.status === "success" ? "succeeded" : row.status === "failed" ? "failed" : null,
    durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
  };
}
