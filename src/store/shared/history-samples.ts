import { type RollupSample, stateSlices } from "../../core/rollup.ts";

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

/** A monitor_transitions row, as both adapters read it for a fold. */
export interface FoldTransitionRow {
  id: number | string;
  monitor: string;
  at: number | string;
  from_state: string;
  to_state: string;
}

/** A watermark row: for a monitor (`monitor:<name>`), counted until `at`, in state `key` since. */
export interface Mark {
  at: number | string;
  key: string;
}

/**
 * Uptime from transitions (in (at, id) order): each closes the interval its monitor spent in the
 * state before it, from where that monitor was counted until. `until` (the fold caught up): every
 * monitor's current state is counted up to it as well. Returns the samples and the monitor marks
 * that moved.
 */
export function uptimeFold(
  rows: readonly FoldTransitionRow[],
  marks: ReadonlyMap<string, Mark>,
  until: number | null,
): { samples: RollupSample[]; changed: Map<string, { at: number; key: string }> } {
  const samples: RollupSample[] = [];
  const current = new Map([...marks].map(([source, m]) => [source, { at: Number(m.at), key: m.key }]));
  const changed = new Map<string, { at: number; key: string }>();
  for (const row of rows) {
    const source = `monitor:${row.monitor}`;
    const at = Number(row.at);
    const mark = current.get(source) ?? { at, key: row.from_state };
    if (at > mark.at) samples.push(...stateSlices(row.monitor, mark.key, mark.at, at));
    samples.push({ subject: "monitor", name: row.monitor, at });
    const next = { at: Math.max(at, mark.at), key: row.to_state };
    current.set(source, next);
    changed.set(source, next);
  }
  if (until !== null) {
    for (const [source, mark] of current) {
      if (mark.at >= until) continue;
      samples.push(...stateSlices(source.slice("monitor:".length), mark.key, mark.at, until));
      const next = { at: until, key: mark.key };
      current.set(source, next);
      changed.set(source, next);
    }
  }
  return { samples, changed };
}
