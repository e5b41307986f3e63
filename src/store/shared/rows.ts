import type { JobState, RunOutcome } from "../../core/job-state.ts";
import type { MisfirePolicy, OverlapPolicy, TickDecision, TickReason } from "../../core/misfire.ts";
import type { Trigger } from "../../core/triggers.ts";
import type { ClaimedJob } from "../ports/job-store.ts";
import type {
  JobRow,
  JobRunRow,
  ScheduleDeployRow,
  ScheduleJobOptions,
  ScheduleRow,
  TickRow,
} from "../ports/rows.ts";

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
    priority: Number(r.priority),
    runAt: Number(r.run_at),
  };
}

/**
 * Stored JSON, or what to show instead when it does not parse (a row written by hand or by a
 * broken release): one undecodable row must not fail the list it is in (issue 19).
 */
function parseStored<T>(value: unknown, what: string, problems: string[], fallback: T): T {
  try {
    return JSON.parse(value as string) as T;
  } catch {
    problems.push(`the stored ${what} is not valid JSON`);
    return fallback;
  }
}

/** Job options shown for a schedule whose stored options do not parse (it is broken: it never fires). */
const UNREADABLE_JOB_OPTIONS: ScheduleJobOptions = Object.freeze({
  stateful: false,
  queue: "",
  priority: 0,
  maxAttempts: 1,
  timeoutMs: null,
  backoff: "null",
});

/** A job row; `undecodable` says what of it could not be read (its payload is then the raw text). */
export function toJobRow(r: DbRow): JobRow {
  const problems: string[] = [];
  const payload = parseStored(r.payload, "payload", problems, r.payload);
  return {
    id: String(r.id),
    type: r.type as string,
    queue: r.queue as string,
    payload,
    undecodable: problems.length > 0 ? problems.join("; ") : null,
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
    concurrencyKey: text(r.concurrency_key),
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

/**
 * A schedule row. One whose trigger or job options do not parse comes back with `trigger: null`
 * (or placeholder options) and `broken` saying so; the scheduler then sets it aside.
 */
export function toScheduleRow(r: DbRow): ScheduleRow {
  const problems: string[] = [];
  const trigger = parseStored<Trigger | null>(r.trigger, "trigger", problems, null);
  const jobOptions = parseStored(r.job_options, "job options", problems, UNREADABLE_JOB_OPTIONS);
  const brokenStored = text(r.broken_error);
  return {
    id: r.id as string,
    jobType: r.job_type as string,
    payload: r.payload as string,
    trigger,
    misfire: r.misfire as MisfirePolicy,
    graceMs: Number(r.grace_ms),
    overlap: r.overlap as OverlapPolicy,
    jobOptions,
    paused: Boolean(r.paused),
    source: r.source === "runtime" ? "runtime" : "code",
    toleranceMs: num(r.tolerance_ms),
    owner: text(r.owner),
    tenant: text(r.tenant),
    labels: readLabels(r.labels),
    declaredBy: text(r.declared_by),
    broken: brokenStored ?? (problems.length > 0 ? problems.join("; ") : null),
    brokenAt: num(r.broken_at),
    nextFireAt: num(r.next_fire_at),
    lastFireAt: num(r.last_fire_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Labels as stored (JSON text); unreadable or missing ones show as none rather than failing the list. */
function readLabels(value: unknown): Record<string, string> {
  if (typeof value !== "string") return {};
  try {
    const parsed = JSON.parse(value) as unknown;
    return parsed && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}

export function toScheduleDeployRow(r: DbRow): ScheduleDeployRow {
  let keys: string[] = [];
  try {
    keys = JSON.parse(r.schedule_keys as string) as string[];
  } catch {
    keys = [];
  }
  return {
    codeHash: r.code_hash as string,
    version: Number(r.version),
    scheduleKeys: keys,
    firstSeenAt: Number(r.first_seen_at),
    lastSeenAt: Number(r.last_seen_at),
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
