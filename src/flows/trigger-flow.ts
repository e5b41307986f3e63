import type { TriggerSource } from "../core/flow-run-state.ts";
import type { JobInsert } from "../store/ports/job-store.ts";
import type { FlowRow } from "../store/ports/rows.ts";
import { FLOW_RUN_JOB, type FlowRunPayload } from "./sync-flows.ts";

/**
 * The flow-run job a trigger enqueues, from the *stored* flow: any process can trigger any stored
 * flow (the API, the CLI) whether or not it loaded the flow's code.
 */
export function flowRunJobInsert(flow: FlowRow, source: TriggerSource, now: number): JobInsert {
  return {
    type: FLOW_RUN_JOB,
    queue: flow.queue,
    payload: JSON.stringify({ flow: flow.name, source } satisfies FlowRunPayload),
    priority: 0,
    maxAttempts: flow.retries + 1,
    runAt: now,
    key: null,
    timeoutMs: flow.timeoutMs,
    backoff: flow.backoff,
    stateKey: null,
  };
}

/** What a trigger answers: accepted, or refused with the reason (a value, for the HTTP heartbeat). */
export type FlowTriggerAnswer =
  | { status: "enqueued"; flow: string; runId: string; jobId: string; queue: string; source: TriggerSource }
  | {
      status: "already_running";
      flow: string;
      /** The active run that refused the trigger. */
      runId: string;
      runStatus: "pending" | "in_progress";
      /** When it started executing; null while it waits in its queue. */
      startedAt: number | null;
    }
  | { status: "disabled"; flow: string }
  /** The period (a nominal fire time) already ran, by the internal scheduler or another heartbeat. */
  | { status: "period_taken"; flow: string; period: number };
