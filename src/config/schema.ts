import { z } from "zod";
import { type AlertsOptions, checkAlertsOptions } from "../alerts/alerts-options.ts";
import { type CheckDefinition, type CheckOptions, defineCheck } from "../checks/define-check.ts";
import { parseDuration } from "../core/duration.ts";
import { type LimitOptions, limitRuleOf } from "../core/limit-options.ts";
import { describeLimitMs, MAX_DURATION_MS, MAX_TIMER_MS } from "../core/limits.ts";
import { isValidName } from "../core/names.ts";
import { ConfigError } from "../errors.ts";
import { type FlowDefinition, isFlowDefinition } from "../flows/define-flow.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../logger.ts";
import { defineMonitor, type MonitorDefinition, type MonitorOptions } from "../monitors/define-monitor.ts";
import type { JobDefinition } from "../runtime/registry.ts";
import type { ScheduleDefinition } from "../runtime/schedules.ts";
import { parseDatabaseUrl } from "./database-url.ts";
import { didYouMean } from "./env.ts";
import { type HttpConfig, httpSchema, type ResolvedHttpConfig } from "./http-schema.ts";

/** What `tickflow.config.ts` exports (through `defineConfig`). Environment variables win over it. */
export interface TickflowConfig {
  /** `sqlite:<path>` or `postgres://…`; env TICKFLOW_DATABASE_URL. Default `sqlite:./tickflow.db`. */
  database?: string;
  /** Jobs run at once per process; env TICKFLOW_CONCURRENCY. Default 10. */
  concurrency?: number;
  /** Jobs a worker claims ahead of its free slots; env TICKFLOW_PREFETCH. Default: concurrency; 0 turns it off. */
  prefetch?: number;
  /** Queues this process works (all when omitted); env TICKFLOW_QUEUES (comma-separated). */
  queues?: string[];
  /** How long a claim holds a job, e.g. "30s"; env TICKFLOW_LEASE. */
  lease?: string | number;
  /** Idle polling floor for work added by other processes; env TICKFLOW_POLL_INTERVAL. Default "1s". */
  pollInterval?: string | number;
  /** Time running jobs get at shutdown; env TICKFLOW_SHUTDOWN_GRACE. Default "10s". */
  shutdownGrace?: string | number;
  /** Keep finished jobs this long ("7d"), or "forever"; env TICKFLOW_RETENTION. */
  retention?: string | number;
  log?: { level?: LogLevel; format?: LogFormat };
  /**
   * Run the internal scheduler in `tickflow start` (default true). false: nothing fires schedules
   * in this process; flows are driven by `POST /heartbeat` from an external cron alone. Also
   * `tickflow start --no-scheduler`.
   */
  scheduler?: boolean;
  /** The HTTP service of `tickflow start` (env TICKFLOW_HOST, TICKFLOW_PORT, TICKFLOW_TOKEN, …). */
  http?: HttpConfig;
  jobs?: JobDefinition<never, never>[];
  schedules?: ScheduleDefinition[];
  /** Liveness monitors (spec §5): `defineMonitor(…)` results or plain options, e.g. `{ name, url }`. */
  monitors?: (MonitorDefinition | MonitorOptions)[];
  /** Check-ins (spec §12): `defineCheck(…)` results or plain options, e.g. `{ key, every, grace }`. */
  checks?: (CheckDefinition | CheckOptions)[];
  /** Alert rules and their channels (spec §12): `{ channels, rules, evaluateEvery }`, see docs/alerts.md. */
  alerts?: AlertsOptions;
  /** Data flows (spec §6): `defineFlow(…)` results, in addition to those of the flows folder. */
  flows?: FlowDefinition[];
  /** Cluster-wide limits (docs/limits.md); every process working the limited jobs declares the same. */
  limits?: LimitOptions[];
  /**
   * The flows folder, loaded at startup: each file default-exports `defineFlow(…)` or an array of
   * them. Relative to the working directory; env TICKFLOW_FLOWS_DIR. Default "./flows" (skipped
   * when it does not exist; a folder named here must exist).
   */
  flowsDir?: string;
  /** Keep finished flow runs this long ("30d"), or "forever"; env TICKFLOW_FLOW_RUN_RETENTION. Default "30d". */
  flowRunRetention?: string | number;
  /** Keep at most this many finished runs per flow (their stats are computed over them). Default 1000. */
  flowRunsKept?: number;
  /** Worker slots reserved for heartbeat jobs and monitor checks; env TICKFLOW_SYSTEM_CONCURRENCY. Default 2. */
  systemConcurrency?: number;
  /** An event-loop block this long is a stall ("1s"), or "off"; env TICKFLOW_STALL_THRESHOLD. */
  stallThreshold?: string | number;
  /** Health stays degraded this long after a stall; env TICKFLOW_STALL_DEGRADED_FOR. Default "60s". */
  stallDegradedFor?: string | number;
  /** Failed runs in a row that make a schedule `failing`; env TICKFLOW_FAILING_AFTER. Default 1. */
  failingAfter?: number;
  /** Readiness waits this long after start for the heartbeat; env TICKFLOW_STARTUP_GRACE. Default "15s". */
  startupGrace?: string | number;
  /** Keep schedule ticks this long ("30d"), or "forever"; env TICKFLOW_TICK_RETENTION. */
  tickRetention?: string | number;
  /** Rows are folded into rollups once this old; env TICKFLOW_ROLLUP_LAG. Default "1h". */
  rollupLag?: string | number;
}

/** Identity helper that gives `tickflow.config.ts` its types. */
export function defineConfig(config: TickflowConfig): TickflowConfig {
  return config;
}

export interface ResolvedConfig {
  database: string;
  concurrency: number;
  /** Undefined: the worker's default (equal to concurrency). */
  prefetch: number | undefined;
  queues: string[] | undefined;
  leaseMs: number;
  pollIntervalMs: number;
  shutdownGraceMs: number;
  retentionMs: number | null;
  log: { level: LogLevel; format: LogFormat };
  /** isHeartbeatEnabled(env) (ENABLE_HEARTBEAT): the one switch; no config key can turn it on. */
  heartbeat: boolean;
  scheduler: boolean;
  http: ResolvedHttpConfig;
  jobs: JobDefinition<never, never>[];
  schedules: ScheduleDefinition[];
  monitors: MonitorDefinition[];
  checks: CheckDefinition[];
  alerts: AlertsOptions;
  flows: FlowDefinition[];
  /** Cluster-wide limits every process of the cluster declares (docs/limits.md). */
  limits: LimitOptions[];
  /** Undefined: the default "./flows", loaded only when it exists. */
  flowsDir: string | undefined;
  flowRunRetentionMs: number | null;
  flowRunsKept: number;
  systemConcurrency: number;
  stallThresholdMs: number | null;
  stallDegradedForMs: number;
  failingAfter: number;
  startupGraceMs: number;
  tickRetentionMs: number | null;
  rollupLagMs: number;
}

/** A duration from `min` to `max` ms; timer settings pass MAX_TIMER_MS, the most setTimeout waits. */
const duration = (min: number, max: number = MAX_DURATION_MS) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    try {
      const ms = parseDuration(value, "value", Number.POSITIVE_INFINITY);
      if (ms < min) ctx.addIssue({ code: "custom", message: `must be at least ${min}ms` });
      if (ms > max) ctx.addIssue({ code: "custom", message: `must be at most ${describeLimitMs(max)}` });
      return ms;
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not a duration (e.g. "500ms", "30s", "5m")`,
      });
      return z.NEVER;
    }
  });

/** A duration from `min` to `max` ms, or the word that turns the setting off (null): one clear line either way. */
const durationOr = (word: "forever" | "off", min: number, max: number = MAX_DURATION_MS) =>
  z.union([z.string(), z.number()]).transform((value, ctx): number | null => {
    if (value === word) return null;
    let ms: number;
    try {
      ms = parseDuration(value, "value", Number.POSITIVE_INFINITY);
    } catch {
      ctx.addIssue({
        code: "custom",
        message: `${JSON.stringify(value)} is not a duration (e.g. "30s") or "${word}"`,
      });
      return z.NEVER;
    }
    if (ms >= min && ms <= max) return ms;
    const range = max === MAX_DURATION_MS ? `at least ${min}ms` : `from ${min}ms to ${describeLimitMs(max)}`;
    ctx.addIssue({ code: "custom", message: `must be ${range}, or "${word}"` });
    return z.NEVER;
  });

const schema = z.strictObject({
  database: z
    .string()
    .refine(
      (url) => {
        try {
          parseDatabaseUrl(url);
          return true;
        } catch {
          return false;
        }
      },
      { message: "use sqlite:<path> or postgres://user@host/db" },
    )
    .default("sqlite:./tickflow.db"),
  concurrency: z.number().int().min(1).max(1000).default(10),
  prefetch: z.number().int().min(0).max(10_000).optional(),
  queues: z
    .array(
      z.string().refine(isValidName, { message: 'queue names use 1-64 letters, digits, "_", "-" or "."' }),
    )
    .min(1)
    .optional(),
  lease: duration(1_000, MAX_TIMER_MS).default(30_000),
  pollInterval: duration(10, MAX_TIMER_MS).default(1_000),
  shutdownGrace: duration(0, MAX_TIMER_MS).default(10_000),
  retention: z
    .union([z.literal("forever"), duration(60_000)])
    .default(7 * 86_400_000)
    .transform((v) => (v === "forever" ? null : v)),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default("info"),
      format: z.enum(LOG_FORMATS).optional(),
    })
    .default({ level: "info" }),
  scheduler: z.boolean().default(true),
  http: httpSchema,
  jobs: z
    .array(z.custom<JobDefinition<never, never>>((v) => isDefinition(v), "expected defineJob(…) results"))
    .default([]),
  schedules: z
    .array(
      z.custom<ScheduleDefinition>(
        (v) => typeof v === "object" && v !== null && "trigger" in v,
        "expected defineSchedule(…) results",
      ),
    )
    .default([]),
  monitors: z
    .array(
      z.unknown().transform((value, ctx) => {
        try {
          return defineMonitor(value as MonitorOptions);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
          return z.NEVER;
        }
      }),
    )
    .default([]),
  checks: z
    .array(
      z.unknown().transform((value, ctx) => {
        try {
          // { env: "NAME" } tokens are read now: a missing variable stops startup, naming it.
          return defineCheck(value as CheckOptions, process.env);
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
          return z.NEVER;
        }
      }),
    )
    .default([]),
  alerts: z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      try {
        return checkAlertsOptions(value ?? {}, process.env);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
        return z.NEVER;
      }
    }),
  flows: z.array(z.custom<FlowDefinition>(isFlowDefinition, "expected defineFlow(…) results")).default([]),
  limits: z
    .array(
      z.unknown().transform((value, ctx) => {
        try {
          limitRuleOf(value as LimitOptions);
          return value as LimitOptions;
        } catch (error) {
          ctx.addIssue({ code: "custom", message: (error as Error).message });
          return z.NEVER;
        }
      }),
    )
    .default([]),
  flowsDir: z.string().min(1).optional(),
  flowRunRetention: z
    .union([z.string(), z.number()])
    .default(30 * 86_400_000)
    .transform((value, ctx) => {
      if (value === "forever") return null;
      try {
        const ms = parseDuration(value, "value");
        if (ms >= 60_000) return ms;
        ctx.addIssue({ code: "custom", message: 'must be at least 1m, or "forever"' });
      } catch {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(value)} is not a duration (e.g. "30d") or "forever"`,
        });
      }
      return z.NEVER;
    }),
  flowRunsKept: z.number().int().min(1).default(1_000),
  systemConcurrency: z.number().int().min(0).max(100).default(2),
  stallThreshold: durationOr("off", 10, MAX_TIMER_MS).default(1_000),
  stallDegradedFor: duration(0, MAX_TIMER_MS).default(60_000),
  failingAfter: z.number().int().min(1).max(1000).default(1),
  startupGrace: duration(0, MAX_TIMER_MS).default(15_000),
  tickRetention: durationOr("forever", 60_000).default(30 * 86_400_000),
  rollupLag: duration(0, 86_400_000).default(3_600_000),
});

function isDefinition(value: unknown): boolean {
  return typeof value === "object" && value !== null && "handler" in value && "name" in value;
}

export const CONFIG_KEYS = Object.keys(schema.shape);
const NESTED_KEYS: Record<string, string[]> = {
  log: ["level", "format"],
  http: [
    "enabled",
    "host",
    "port",
    "tokens",
    "allowedIps",
    "trustedProxies",
    "metricsPublic",
    "rateLimit",
    "badgeSecret",
  ],
  "http.rateLimit": ["max", "window"],
};

/**
 * Validates a merged config; throws one ConfigError listing every problem, each naming its key
 * (environment variables are named as such), with "did you mean" for unknown keys.
 */
export function validateConfig(
  input: Record<string, unknown>,
  sources: Record<string, string> = {},
  heartbeatEnabled = false,
): ResolvedConfig {
  if (input.heartbeat !== undefined) {
    // One switch (spec §4): a config key turning it on beside the variable was a second one.
    throw new ConfigError([
      'heartbeat: the diagnostic heartbeat is switched by the environment variable ENABLE_HEARTBEAT=1 only; remove "heartbeat" from the config file',
    ]);
  }
  const result = schema.safeParse(input);
  if (result.success) {
    const c = result.data;
    return {
      database: c.database,
      concurrency: c.concurrency,
      prefetch: c.prefetch,
      queues: c.queues,
      leaseMs: c.lease,
      pollIntervalMs: c.pollInterval,
      shutdownGraceMs: c.shutdownGrace,
      retentionMs: c.retention,
      log: { level: c.log.level, format: c.log.format ?? (process.stdout.isTTY ? "pretty" : "json") },
      heartbeat: heartbeatEnabled,
      scheduler: c.scheduler,
      http: c.http,
      jobs: c.jobs,
      schedules: c.schedules,
      monitors: c.monitors,
      checks: c.checks,
      alerts: c.alerts,
      flows: c.flows,
      limits: c.limits,
      flowsDir: c.flowsDir,
      flowRunRetentionMs: c.flowRunRetention,
      flowRunsKept: c.flowRunsKept,
      systemConcurrency: c.systemConcurrency,
      stallThresholdMs: c.stallThreshold,
      stallDegradedForMs: c.stallDegradedFor,
      failingAfter: c.failingAfter,
      startupGraceMs: c.startupGrace,
      tickRetentionMs: c.tickRetention,
      rollupLagMs: c.rollupLag,
    };
  }
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => {
        const candidates = issue.path.length === 0 ? CONFIG_KEYS : (NESTED_KEYS[issue.path.join(".")] ?? []);
        const suggestion = didYouMean(key, candidates);
        return `unknown key "${[...issue.path, key].join(".")}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
      });
    }
    const path = issue.path.join(".");
    // The longest prefix of the path that an environment variable set names the variable.
    const prefixes = issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i).join("."));
    const source = prefixes.map((prefix) => sources[prefix]).find((name) => name !== undefined);
    return [`${source ?? path}: ${issue.message}`];
  });
  throw new ConfigError(problems);
}
