import { z } from "zod";
import { FLOW_RUN_STATUSES, TRIGGER_SOURCES } from "../core/flow-run-state.ts";
import { MONITOR_STATES } from "../core/hysteresis.ts";
import { JOB_STATES, RUN_OUTCOMES } from "../core/job-state.ts";
import { MISFIRE_POLICIES, OVERLAP_POLICIES } from "../core/misfire.ts";

/**
 * What every /api/v1 response looks like, as zod schemas: openapi.json is generated from them
 * (src/http/openapi.ts), and the API tests check every response they get against the document.
 * Each `*View` function of the routes builds exactly one of these.
 */

/** The named schemas: components/schemas of openapi.json. */
export const apiSchemas = z.registry<{ id: string }>();

/** An ISO 8601 time, or null (none, or a stored time no Date can show: see `undecodable`). */
const time = z.iso.datetime().nullable();
const id = z.string().regex(/^\d{1,18}$/);
const count = z.number().int().min(0);

export const ErrorBody = z
  .looseObject({ error: z.object({ code: z.string(), message: z.string() }) })
  .register(apiSchemas, { id: "Error" });

export const Job = z
  .object({
    id,
    type: z.string(),
    queue: z.string(),
    state: z.enum(JOB_STATES),
    payload: z.unknown().describe("the job's JSON payload (null when undecodable)"),
    priority: z.number().int(),
    attempt: count,
    maxAttempts: z.number().int(),
    runAt: time,
    key: z.string().nullable(),
    concurrencyKey: z.string().nullable(),
    scheduleId: z.string().nullable(),
    scheduledFor: time,
    leaseOwner: z.string().nullable(),
    leaseExpiresAt: time,
    lastError: z.string().nullable(),
    createdAt: time,
    finishedAt: time,
    undecodable: z.string().nullable().describe("what of the stored row cannot be shown, or null"),
  })
  .register(apiSchemas, { id: "Job" });

export const Attempt = z
  .object({
    attempt: z.number().int(),
    workerId: z.string().nullable(),
    startedAt: time,
    endedAt: time,
    durationMs: z.number().nullable(),
    outcome: z.enum(RUN_OUTCOMES).nullable(),
    errorMessage: z.string().nullable(),
    errorStack: z.string().nullable(),
  })
  .register(apiSchemas, { id: "Attempt" });

/** A schedule's tick: its decision, and (in the liveness views) its outcome, lateness and duration. */
export const Tick = z
  .looseObject({
    nominalAt: time,
    decision: z.string(),
    reason: z.string().nullable(),
    decidedAt: time,
    jobId: z.string().nullable(),
    latenessMs: z.number().nullable(),
  })
  .register(apiSchemas, { id: "Tick" });

const Trigger = z
  .union([
    z.object({ kind: z.literal("cron"), expression: z.string(), timezone: z.string() }),
    z.object({ kind: z.literal("every"), intervalMs: z.number() }),
    z.object({ kind: z.literal("at"), at: z.number() }),
  ])
  .register(apiSchemas, { id: "Trigger" });

/** A stored schedule; the list and the report add its health, counts and rates beside these. */
export const Schedule = z
  .looseObject({
    key: z.string(),
    source: z.enum(["code", "runtime"]),
    job: z.string(),
    trigger: Trigger.nullable().describe("null when the stored trigger cannot be read (broken)"),
    misfire: z.enum(MISFIRE_POLICIES),
    overlap: z.enum(OVERLAP_POLICIES),
    paused: z.boolean(),
    state: z.enum(["active", "paused", "broken"]),
    broken: z.string().nullable(),
    brokenAt: time,
    nextFireAt: time,
    lastFireAt: time,
    lastTick: Tick.nullable(),
    owner: z.string().nullable(),
    tenant: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
  })
  .register(apiSchemas, { id: "Schedule" });

export const Queue = z
  .object({
    queue: z.string(),
    counts: z.record(z.string(), count).describe("jobs by state (states with none are left out)"),
    oldestWaitingSeconds: z.number().nullable(),
  })
  .register(apiSchemas, { id: "Queue" });

export const FlowRun = z
  .object({
    id,
    flow: z.string(),
    status: z.enum(FLOW_RUN_STATUSES),
    source: z.enum(TRIGGER_SOURCES),
    attempt: z.number().int(),
    jobId: z.string().nullable(),
    createdAt: time,
    startedAt: time,
    endedAt: time,
    durationMs: z.number().nullable(),
    errorMessage: z.string().nullable(),
    errorStack: z.string().nullable(),
  })
  .register(apiSchemas, { id: "FlowRun" });

export const Flow = z
  .object({
    name: z.string(),
    enabled: z.boolean(),
    schedule: Trigger.nullable().describe("null: the flow runs only when triggered"),
    queue: z.string(),
    retries: z.number().int(),
    lastRunAt: time,
    lastRunStatus: z.enum(FLOW_RUN_STATUSES).nullable(),
    nextRunAt: time,
    activeRun: FlowRun.nullable(),
    stats: z.object({
      runs: count,
      succeeded: count,
      failed: count,
      successRate: z.number().min(0).max(1).nullable(),
      p50DurationMs: z.number().nullable(),
      p95DurationMs: z.number().nullable(),
    }),
    defined: z.boolean().describe("defined in this process's code (else only stored)"),
    removedAt: time,
  })
  .register(apiSchemas, { id: "Flow" });

export const Transition = z
  .object({
    at: time,
    from: z.enum(MONITOR_STATES),
    to: z.enum(MONITOR_STATES),
    successes: count,
    failures: count,
    error: z.string().nullable(),
  })
  .register(apiSchemas, { id: "Transition" });

export const Monitor = z
  .object({
    name: z.string(),
    state: z.enum(MONITOR_STATES),
    successes: count,
    failures: count,
    checks: count,
    lastCheck: z
      .object({ at: z.number(), ok: z.boolean(), durationMs: z.number(), error: z.string().nullable() })
      .nullable(),
    lastTransition: Transition.nullable(),
    closedQueues: z.array(z.string()),
  })
  .register(apiSchemas, { id: "Monitor" });

/** The heartbeat pair's status (src/jobs/heartbeat.ts); its fields are documented there. */
export const HeartbeatStatus = z
  .looseObject({ enabled: z.boolean() })
  .describe("{ enabled: false }, or enabled with the pair's state and measured delays")
  .register(apiSchemas, { id: "HeartbeatStatus" });

export const page = <T extends z.ZodType>(key: string, item: T) =>
  z.object({ [key]: z.array(item), nextCursor: id.nullable() });
