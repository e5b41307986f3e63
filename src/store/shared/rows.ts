import type { JobState, RunOutcome } from "../../core/job-state.ts";
import type { MisfirePolicy, OverlapPolicy, TickDecision, TickReason } from "../../core/misfire.ts";
import type { ClaimedJob } from "../ports/job-store.ts";
import type { JobRow, JobRunRow, ScheduleRow, TickRow } from "../ports/rows.ts";

/**
 * Row mapping shared by both adapters. `pg` returns bigint columns as strings (they may exceed
 * 2^53) and SQLite returns numbers; every time here is epoch ms (< 2^53 until the year 287 396),
 * so Number() is exact for both. Ids stay strings. Booleans are true/false (pg) or 1/0 (SQLite).
 */
export type DbRow = Record<string, unknown>;

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toClaimedJob(r: DbRow): ClaimedJob {
  return {
    id: String(r.id),
    type: r.type as string,
    queue: r.queue as string,
    payload: r.payload as string,
    attempt: Number(r.attempt),
    maxAttempts: Number(r.max_attempts),
    leaseToken: Number(r.lease_token),
    timeoutMs: num(r.timeout_ms),
    backoff: r.backoff as string,
    stateKey: text(r.state_key),
    scheduleId: text(r.schedule_id),
    nominalAt: num(r.nominal_at),
    startedAt: Number(r.started_at),
  };
}

export function toJobRow(r: DbRow): JobRow {
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
    key: text(r.key),
    leaseOwner: text(r.lease_owner),
    leaseExpiresAt: num(r.lease_expires_at),
    timeoutMs: num(r.timeout_ms),
    stateKey: text(r.state_key),
    scheduleId: text(r.schedule_id),
    nominalAt: num(r.nominal_at),
    lastError: text(r.last_error),
    createdAt: Number(r.created_at),
    finishedAt: num(r.finished_at),
  };
}

export function toJobRunRow(r: DbRow): JobRunRow {
  return {
    id: String(r.id),
    jobId: String(r.job_id),
    attempt: Number(r.attempt),
    workerId: r.worker_id as string,
    startedAt: Number(r.started_at),
    endedAt: Number(r.ended_at),
    durationMs: Number(r.duration_ms),
    outcome: r.outcome as RunOutcome,
    errorMessage: text(r.error_message),
    errorStack: text(r.error_stack),
  };
}

export function toScheduleRow(r: DbRow): ScheduleRow {
  return {
    id: r.id as string,
    jobType: r.job_type as string,
    payload: r.payload as string,
    trigger: JSON.parse(r.trigger as string),
    misfire: r.misfire as MisfirePolicy,
    graceMs: Number(r.grace_ms),
    overlap: r.overlap as OverlapPolicy,
    jobOptions: JSON.parse(r.job_options as string),
    paused: Boolean(r.paused),
    nextFireAt: num(r.next_fire_at),
    lastFireAt: num(r.last_fire_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toTickRow(r: DbRow): TickRow {
  return {
    scheduleId: r.schedule_id as string,
    nominalAt: Number(r.nominal_at),
    decision: r.decision as TickDecision,
    reason: (text(r.reason) as TickReason) ?? null,
    decidedAt: Number(r.decided_at),
    jobId: text(r.job_id),
    startedAt: num(r.started_at),
  };
}
