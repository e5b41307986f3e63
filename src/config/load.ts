import { existsSync } from "node:fs";
import { ConfigError } from "../errors.ts";
import { isHeartbeatEnabled } from "../jobs/heartbeat.ts";
import { configFilePath } from "./config-file.ts";
import { parseBooleanFlag } from "./env.ts";
import { httpFromEnv } from "./http-schema.ts";
import { type ResolvedConfig, type TickflowConfig, validateConfig } from "./schema.ts";
import { importUserModule } from "./user-module.ts";

export { CONFIG_FILE_NAMES, configFilePath, DEFAULT_CONFIG_FILE } from "./config-file.ts";

/** Environment variables and the config key each sets. */
export const ENV_KEYS = {
  TICKFLOW_DATABASE_URL: "database",
  TICKFLOW_CONCURRENCY: "concurrency",
  TICKFLOW_PREFETCH: "prefetch",
  TICKFLOW_QUEUES: "queues",
  TICKFLOW_LEASE: "lease",
  TICKFLOW_POLL_INTERVAL: "pollInterval",
  TICKFLOW_SHUTDOWN_GRACE: "shutdownGrace",
  TICKFLOW_RETENTION: "retention",
  LOG_LEVEL: "log.level",
  LOG_FORMAT: "log.format",
  TICKFLOW_FLOWS_DIR: "flowsDir",
  TICKFLOW_FLOW_RUN_RETENTION: "flowRunRetention",
  TICKFLOW_SYSTEM_CONCURRENCY: "systemConcurrency",
  TICKFLOW_STALL_THRESHOLD: "stallThreshold",
  TICKFLOW_STALL_DEGRADED_FOR: "stallDegradedFor",
  TICKFLOW_FAILING_AFTER: "failingAfter",
  TICKFLOW_STARTUP_GRACE: "startupGrace",
  TICKFLOW_TICK_RETENTION: "tickRetention",
  TICKFLOW_ROLLUP_LAG: "rollupLag",
} as const;

/** The duration variables: text with a unit ("30s") or plain milliseconds ("30000"), as the docs say. */
const DURATION_ENV = [
  "TICKFLOW_LEASE",
  "TICKFLOW_POLL_INTERVAL",
  "TICKFLOW_SHUTDOWN_GRACE",
  "TICKFLOW_RETENTION",
  "TICKFLOW_FLOW_RUN_RETENTION",
  "TICKFLOW_STALL_THRESHOLD",
  "TICKFLOW_STALL_DEGRADED_FOR",
  "TICKFLOW_STARTUP_GRACE",
  "TICKFLOW_TICK_RETENTION",
  "TICKFLOW_ROLLUP_LAG",
] as const;

/**
 * An environment value is always text, so digits alone are milliseconds there ("30000"); in a
 * config file a string needs its unit and a number is milliseconds.
 */
export function envDuration(value: string): string | number {
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Reads the config file (when present) and overlays the environment; validates the result. A
 * TypeScript config loads in plain Node too (through a loader scoped to the user's files).
 */
export async function loadConfig(
  options: { cwd?: string; file?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const path = configFilePath(cwd, options.file ?? env.TICKFLOW_CONFIG);
  let fromFile: TickflowConfig = {};
  if (existsSync(path)) {
    try {
      const module = await importUserModule(path);
      fromFile = (module.default as TickflowConfig | undefined) ?? {};
    } catch (error) {
      throw new ConfigError([`${path}: could not load: ${(error as Error).message}`]);
    }
  } else if (options.file || env.TICKFLOW_CONFIG) {
    throw new ConfigError([`config file ${path} does not exist`]);
  }
  return mergeEnv(fromFile, env);
}

/** Overlays environment variables on a file config (env wins) and validates. */
export function mergeEnv(fromFile: TickflowConfig, env: NodeJS.ProcessEnv): ResolvedConfig {
  const merged: Record<string, unknown> = { ...fromFile, log: { ...fromFile.log } };
  const sources: Record<string, string> = {};
  const set = (envName: keyof typeof ENV_KEYS, value: unknown) => {
    const key = ENV_KEYS[envName];
    sources[key] = envName;
    if (key.startsWith("log.")) (merged.log as Record<string, unknown>)[key.slice(4)] = value;
    else merged[key] = value;
  };
  const text = (name: keyof typeof ENV_KEYS) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  for (const name of ["TICKFLOW_DATABASE_URL", "TICKFLOW_FLOWS_DIR", "LOG_LEVEL", "LOG_FORMAT"] as const) {
    const value = text(name);
    if (value !== undefined)
      set(name, name === "LOG_LEVEL" || name === "LOG_FORMAT" ? value.toLowerCase() : value);
  }
  for (const name of DURATION_ENV) {
    const value = text(name);
    if (value !== undefined) set(name, envDuration(value));
  }
  for (const name of [
    "TICKFLOW_CONCURRENCY",
    "TICKFLOW_PREFETCH",
    "TICKFLOW_SYSTEM_CONCURRENCY",
    "TICKFLOW_FAILING_AFTER",
  ] as const) {
    const value = text(name);
    // Digits are the number; anything else reaches validation as text and is refused there.
    if (value !== undefined) set(name, /^\d+$/.test(value) ? Number(value) : value);
  }
  const queues = text("TICKFLOW_QUEUES");
  if (queues !== undefined)
    set(
      "TICKFLOW_QUEUES",
      queues
        .split(",")
        .map((q) => q.trim())
        .filter(Boolean),
    );
  const http = httpFromEnv(env, parseBooleanFlag);
  if (Object.keys(http.overlay).length > 0) {
    merged.http = { ...(fromFile.http ?? {}), ...http.overlay };
    Object.assign(sources, http.sources);
  }
  return validateConfig(merged, sources, isHeartbeatEnabled(env));
}
