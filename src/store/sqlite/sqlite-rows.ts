import type { JobState, RunOutcome } from "../../core/job-state.ts";
import type { MisfirePolicy, OverlapPolicy, TickDecision, TickReason } from "../../core/misfire.ts";
import type { JobRow, JobRunRow, ScheduleRow, TickRow } from "../store.ts";

type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Row → JobRow. Pending jobs whose time has come read as `available` only at claim time; here the stored state shows. */
export function toJobRow(r: Row): JobRow {
  return {
    id: String(r.id),
    type: r.type as string,
    queue: r.queue as string,
    payload: JSON.parse(r.payload as string),
    state: r.state as JobState,
    priority: Number(r.priority),
    attempt: Number(r.attempt),
    maxAttempts: Number(r.max_attempts),
    runAt: Number(r.run_at),
    key: (r.key as string | null) ?? null,
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: num(r.lease_expires_at),
    timeoutMs: num(r.timeout_ms),
    stateKey: (r.state_key as string | null) ?? null,
    scheduleId: (r.schedule_id as string | null) ?? null,
    nominalAt: num(r.nominal_at),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: Number(r.created_at),
    finishedAt: num(r.finished_at),
  };
}

export function toJobRunRow(r: Row): JobRunRow {
  return {
    id: String(r.id),
    jobId: String(r.job_id),
    attempt: Number(r.attempt),
    workerId: r.worker_id as string,
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
    durationMs: Number(r.duration_ms),
    outcome: r.outcome as RunOutcome,
    errorMessage: (r.error_message as string | null) ?? null,
    errorStack: (r.error_stack as string | null) ?? null,
  };
}

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

export function toScheduleRow(r: Row): ScheduleRow {
  return {
    id: r.id as string,
    jobType: r.job_type as string,
    payload: r.payload as string,
    trigger: json(r.trigger),
    misfire: r.misfire as MisfirePolicy,
    graceMs: Number(r.grace_ms),
    overlap: r.overlap as OverlapPolicy,
    jobOptions: json(r.job_options),
    paused: Boolean(r.paused),
    nextFireAt: num(r.next_fire_at),
    lastFireAt: num(r.last_fire_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toTickRow(r: Row): TickRow {
  return {
    scheduleId: r.schedule_id as string,
    nominalAt: Number(r.nominal_at),
    decision: r.decision as TickDecision,
    reason: (r.reason as TickReason) ?? null,
    decidedAt: Number(r.decided_at),
    jobId: r.job_id === null || r.job_id === undefined ? null : String(r.job_id),
    startedAt: num(r.started_at),
  };
}
