import { MAX_TIMER_MS } from "../core/limits.ts";
import { describeValue, optionsProblem } from "../core/options.ts";
import { InvalidOptionError } from "../errors.ts";

/** The keys createTickflow takes (tickflow.ts checks at compile time that this is all of them). */
export const CREATE_TICKFLOW_KEYS = [
  "databaseUrl",
  "pool",
  "store",
  "jobs",
  "schedules",
  "monitors",
  "checks",
  "alerts",
  "env",
  "flows",
  "limits",
  "flowsDir",
  "flowsDirOptional",
  "flowRunRetentionMs",
  "flowRunsKept",
  "concurrency",
  "prefetch",
  "queues",
  "leaseMs",
  "pollIntervalMs",
  "shutdownGraceMs",
  "retentionMs",
  "logger",
  "clock",
  "random01",
  "workerId",
  "systemConcurrency",
  "stallThresholdMs",
  "stallDegradedForMs",
  "failingAfter",
  "tickRetentionMs",
  "rollupLagMs",
  "startupGraceMs",
] as const;

/** Timer-driven options: whole milliseconds that setTimeout can wait, and their minimum. */
const TIMER_OPTIONS = {
  leaseMs: 1_000,
  pollIntervalMs: 10,
  shutdownGraceMs: 0,
  stallDegradedForMs: 0,
  startupGraceMs: 0,
} as const;

/**
 * Options that may be null (off / kept forever): whole milliseconds of at least the minimum. The
 * watchdog's threshold is a timer; retention and the fold lag are compared with times only.
 */
const NULLABLE_MS_OPTIONS = {
  stallThresholdMs: [10, MAX_TIMER_MS],
  tickRetentionMs: [0, Number.MAX_SAFE_INTEGER],
  retentionMs: [0, Number.MAX_SAFE_INTEGER],
  rollupLagMs: [0, 86_400_000],
} as const;

/**
 * createTickflow's options: an object with known keys (did-you-mean for typos), timer options in
 * the range a timer holds, array options as arrays. Everything else is checked where it is used.
 */
export function checkTickflowOptions(options: unknown): void {
  const problem = optionsProblem(options, CREATE_TICKFLOW_KEYS, "createTickflow options");
  if (problem) throw new InvalidOptionError(`createTickflow: ${problem}`);
  const o = (options ?? {}) as Record<string, unknown>;
  for (const [key, min] of Object.entries(TIMER_OPTIONS)) {
    const value = o[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
      throw new InvalidOptionError(
        `createTickflow: ${key} must be whole milliseconds from ${min} to ${MAX_TIMER_MS}, got ${describeValue(value)}`,
      );
    }
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || (o.concurrency as number) < 1)) {
    throw new InvalidOptionError(
      `createTickflow: concurrency must be an integer of at least 1, got ${describeValue(o.concurrency)}`,
    );
  }
  for (const [key, [min, max]] of Object.entries(NULLABLE_MS_OPTIONS)) {
    const value = o[key];
    if (value === undefined || (value === null && key !== "rollupLagMs")) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new InvalidOptionError(
        `createTickflow: ${key} must be whole milliseconds from ${min} to ${max}${key === "rollupLagMs" ? "" : ", or null"}, got ${describeValue(value)}`,
      );
    }
  }
  for (const [key, min] of [
    ["systemConcurrency", 0],
    ["failingAfter", 1],
    ["prefetch", 0],
  ] as const) {
    const value = o[key];
    if (value !== undefined && (!Number.isInteger(value) || (value as number) < min)) {
      throw new InvalidOptionError(
        `createTickflow: ${key} must be an integer of at least ${min}, got ${describeValue(value)}`,
      );
    }
  }
  for (const key of ["jobs", "schedules", "monitors", "flows", "queues"]) {
    if (o[key] !== undefined && !Array.isArray(o[key])) {
      throw new InvalidOptionError(`createTickflow: ${key} must be an array, got ${describeValue(o[key])}`);
    }
  }
}
