import { type Duration, parseDuration } from "../core/duration.ts";
import {
  MISFIRE_POLICIES,
  type MisfirePolicy,
  OVERLAP_POLICIES,
  type OverlapPolicy,
} from "../core/misfire.ts";
import { validateName } from "../core/names.ts";
import { optionsProblem } from "../core/options.ts";
import { serializePayload } from "../core/payload.ts";
import { parseScheduleMeta, type ScheduleMeta } from "../core/schedule-meta.ts";
import { firstFireAt, parseTrigger, type Trigger, type TriggerOption } from "../core/triggers.ts";
import { InvalidScheduleError } from "../errors.ts";
import type { ScheduleDefinitionRow } from "../store/ports/rows.ts";
import {
  JOB_OPTION_KEYS,
  type JobDefinition,
  type JobOptions,
  type JobRegistry,
  resolveJobOptions,
  validateJobOptions,
} from "./registry.ts";

export interface ScheduleOptions extends TriggerOption, JobOptions {
  /** Stable identity across deploys: letters, digits, `_ - .`, 1–64 chars. */
  key: string;
  /** The job type each tick enqueues (its name or its definition). */
  job: string | JobDefinition<never, never>;
  payload?: unknown;
  /** Ticks missed while nothing ran: "skip" | "latest" (default) | "all". */
  misfire?: MisfirePolicy;
  /** With misfire "all": how far back missed ticks still run (default "1h"). */
  grace?: Duration;
  /** Whether a tick may start while the previous run is unfinished: "allow" | "skip" (default). */
  overlap?: OverlapPolicy;
  /** How late a fired tick's job may start and still count as on time (stored for health views). */
  tolerance?: Duration;
  /** Optional metadata, filterable in the API, CLI and dashboard. */
  owner?: string;
  tenant?: string;
  labels?: Record<string, string>;
}

export interface ScheduleDefinition {
  readonly key: string;
  readonly jobType: string;
  readonly payload: unknown;
  readonly trigger: Trigger;
  readonly misfire: MisfirePolicy;
  readonly graceMs: number;
  readonly overlap: OverlapPolicy;
  readonly jobOptions: JobOptions;
  /** Absent (features' schedules): no tolerance of its own, no metadata. */
  readonly toleranceMs?: number | null;
  readonly meta?: ScheduleMeta;
}

const DEFAULT_GRACE_MS = 3_600_000;

/** Every key ScheduleOptions allows: its own, the trigger's and the job options it overrides. */
export const SCHEDULE_OPTION_KEYS = [
  "key",
  "job",
  "payload",
  "misfire",
  "grace",
  "overlap",
  "tolerance",
  "owner",
  "tenant",
  "labels",
  "cron",
  "timezone",
  "every",
  "at",
  ...JOB_OPTION_KEYS,
] as const;

/** Declares a schedule; validates the trigger and policies now, so a typo fails at definition time. */
export function defineSchedule(options: ScheduleOptions): ScheduleDefinition {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidScheduleError(
      `defineSchedule needs an options object: { key, job, cron | every | at, … }`,
    );
  }
  const key = (() => {
    try {
      return validateName(options.key, "schedule key");
    } catch (error) {
      throw new InvalidScheduleError((error as Error).message);
    }
  })();
  const problem = optionsProblem(options, SCHEDULE_OPTION_KEYS, "defineSchedule options");
  if (problem) throw new InvalidScheduleError(`schedule "${key}": ${problem}`);
  const jobType = typeof options.job === "string" ? options.job : options.job?.name;
  if (typeof jobType !== "string") throw new InvalidScheduleError(`schedule "${key}": job is required`);
  const misfire = options.misfire ?? "latest";
  if (!MISFIRE_POLICIES.includes(misfire)) {
    throw new InvalidScheduleError(
      `schedule "${key}": misfire must be one of ${MISFIRE_POLICIES.join(", ")}, got "${misfire}"`,
    );
  }
  const overlap = options.overlap ?? "skip";
  if (!OVERLAP_POLICIES.includes(overlap)) {
    throw new InvalidScheduleError(
      `schedule "${key}": overlap must be one of ${OVERLAP_POLICIES.join(", ")}, got "${overlap}"`,
    );
  }
  let graceMs: number;
  try {
    graceMs = options.grace === undefined ? DEFAULT_GRACE_MS : parseDuration(options.grace, "grace");
  } catch (error) {
    throw new InvalidScheduleError(`schedule "${key}": ${(error as Error).message}`);
  }
  let toleranceMs: number | null;
  try {
    toleranceMs = options.tolerance === undefined ? null : parseDuration(options.tolerance, "tolerance");
  } catch (error) {
    throw new InvalidScheduleError(`schedule "${key}": ${(error as Error).message}`);
  }
  const meta = parseScheduleMeta(options, key);
  serializePayload(options.payload ?? null, jobType);
  const { queue, priority, maxAttempts, backoff, timeout } = options;
  try {
    validateJobOptions({ queue, priority, maxAttempts, backoff, timeout }, `schedule "${key}"`);
  } catch (error) {
    throw new InvalidScheduleError((error as Error).message);
  }
  return {
    key,
    jobType,
    payload: options.payload ?? null,
    trigger: parseTrigger(options, key),
    misfire,
    graceMs,
    overlap,
    jobOptions: { queue, priority, maxAttempts, backoff, timeout },
    toleranceMs,
    meta,
  };
}

/** Resolves a definition against the registry into the row the store keeps. */
export function toScheduleRow(
  definition: ScheduleDefinition,
  registry: JobRegistry,
  now: number,
): ScheduleDefinitionRow {
  const job = registry.get(definition.jobType);
  const options = resolveJobOptions(definition.jobOptions, job.options, `schedule "${definition.key}"`);
  return {
    id: definition.key,
    jobType: definition.jobType,
    payload: serializePayload(definition.payload, definition.jobType),
    trigger: definition.trigger,
    misfire: definition.misfire,
    graceMs: definition.graceMs,
    overlap: definition.overlap,
    jobOptions: {
      stateful: options.stateful,
      queue: options.queue,
      priority: options.priority,
      maxAttempts: options.maxAttempts,
      timeoutMs: options.timeoutMs,
      backoff: JSON.stringify(options.backoff),
    },
    initialNextFireAt: firstFireAt(definition.trigger, definition.graceMs, now),
    toleranceMs: definition.toleranceMs ?? null,
    owner: definition.meta?.owner ?? null,
    tenant: definition.meta?.tenant ?? null,
    labels: definition.meta?.labels ?? {},
  };
}
