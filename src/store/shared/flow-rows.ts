import type { FlowLastRunStatus, FlowRunStatus, TriggerSource } from "../../core/flow-run-state.ts";
import type { FlowRow, FlowRunRow } from "../ports/rows.ts";

// Shared by both adapters: pg returns bigints as strings and SQLite as numbers; Number()/String() normalize both.
type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/**
 * A `data_flows` row joined with its schedule (`schedule_next_fire_at`, `schedule_paused`).
 * The next run is the schedule's live next fire time; none while the flow is disabled, removed or
 * its schedule paused.
 */
export function toFlowRow(r: Row): FlowRow {
  const enabled = Boolean(r.enabled);
  const removedAt = num(r.removed_at);
  const scheduled = r.schedule !== null && r.schedule !== undefined;
  const hasScheduleRow = r.schedule_paused !== null && r.schedule_paused !== undefined;
  let nextRunAt: number | null = null;
  if (scheduled && enabled && removedAt === null) {
    if (!hasScheduleRow) nextRunAt = num(r.next_run_at);
    else if (!r.schedule_paused) nextRunAt = num(r.schedule_next_fire_at);
  }
  return {
    name: r.name as string,
    schedule: scheduled ? JSON.parse(r.schedule as string) : null,
    scheduleId: text(r.schedule_id),
    queue: r.queue as string,
    retries: Number(r.retries),
    timeoutMs: num(r.timeout_ms),
    backoff: r.backoff as string,
    nextRunAt,
    enabled,
    removedAt,
    lastRunAt: num(r.last_run_at),
    lastRunStatus: (text(r.last_run_status) as FlowLastRunStatus | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toFlowRunRow(r: Row): FlowRunRow {
  return {
    id: String(r.id),
    flow: r.flow as string,
    status: r.status as FlowRunStatus,
    source: r.source as TriggerSource,
    attempt: Number(r.attempt),
    jobId: text(r.job_id),
    createdAt: Number(r.created_at),
    startedAt: num(r.started_at),
    endedAt: num(r.ended_at),
    durationMs: num(r.duration_ms),
    errorMessage: text(r.error_message),
    errorStack: text(r.error_stack),
  };
}
