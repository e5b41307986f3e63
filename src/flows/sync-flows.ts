import type { BackoffOption, BackoffPolicy } from "../core/backoff.ts";
import { nextFireAt } from "../core/triggers.ts";
import type { ScheduleDefinition } from "../runtime/schedules.ts";
import type { FlowDefinitionRow } from "../store/ports/rows.ts";
import type { FlowDefinition } from "./define-flow.ts";

/** The one job type every flow runs as (the seed's DataFlowRunJob); its payload names the flow. */
export const FLOW_RUN_JOB = "tickflow.flow-run";

/** The flow-run job's payload: the flow's id (its name) and what triggered the run. */
export interface FlowRunPayload {
  flow: string;
  source?: string;
}

/**
 * A scheduled flow's schedule is an ordinary stored schedule, keyed by the flow's name, that fires
 * the flow-run job. So a flow named like another schedule is refused at definition time.
 */
export function flowScheduleKey(flow: { readonly name: string }): string {
  return flow.name;
}

/** The row `syncFlows` stores for a definition. */
export function toFlowDefinitionRow(flow: FlowDefinition, now: number): FlowDefinitionRow {
  return {
    name: flow.name,
    schedule: flow.schedule,
    // A heartbeat-only flow keeps its schedule (the heartbeat evaluates it) but no stored schedule.
    scheduleId: flow.schedule === null || flow.heartbeatOnly ? null : flowScheduleKey(flow),
    queue: flow.queue,
    retries: flow.retries,
    timeoutMs: flow.timeoutMs,
    backoff: JSON.stringify(flow.backoff),
    nextRunAt: flow.schedule === null ? null : nextFireAt(flow.schedule, now),
  };
}

/**
 * The schedule of a scheduled flow: ticks missed while nothing ran coalesce into one run
 * ("latest"), and a tick is skipped while the previous scheduled run (with its retries) is
 * unfinished ("skip") — the flow's own concurrency guard refuses any other overlap.
 */
export function toFlowSchedule(flow: FlowDefinition): ScheduleDefinition | null {
  if (flow.schedule === null || flow.heartbeatOnly) return null;
  return {
    key: flowScheduleKey(flow),
    jobType: FLOW_RUN_JOB,
    payload: { flow: flow.name, source: "schedule" } satisfies FlowRunPayload,
    trigger: flow.schedule,
    misfire: "latest",
    graceMs: 3_600_000,
    overlap: "skip",
    jobOptions: {
      queue: flow.queue,
      maxAttempts: flow.retries + 1,
      timeout: flow.timeoutMs ?? undefined,
      backoff: toBackoffOption(flow.backoff),
    },
  };
}

function toBackoffOption(policy: BackoffPolicy): BackoffOption {
  return policy.type === "fixed"
    ? { type: "fixed", delay: policy.delayMs }
    : { type: "exponential", base: policy.baseMs, max: policy.maxMs, jitter: policy.jitter };
}
