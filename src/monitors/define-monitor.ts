import { didYouMean } from "../core/did-you-mean.ts";
import { type Duration, formatDuration, parseDuration } from "../core/duration.ts";
import { DEFAULT_THRESHOLDS } from "../core/hysteresis.ts";
import { MAX_TIMER_MS } from "../core/limits.ts";
import { isValidName } from "../core/names.ts";
import { InvalidOptionError } from "../errors.ts";
import type { MonitorDefinitionRow } from "../store/ports/rows.ts";
import { type CheckFunction, describeHttpTarget, httpCheck } from "./http-check.ts";

/**
 * A user check: resolve for healthy; throw, reject or resolve `false` for unhealthy. It receives
 * an AbortSignal that fires at the monitor's timeout (and at shutdown): pass it on to fetch, a
 * database driver, … A check that ignores it is abandoned at the timeout and counted as failed.
 */
export type MonitorCheck = (signal: AbortSignal) => unknown;

/** What `defineMonitor` (and the config file's `monitors`) accepts. */
export interface MonitorOptions {
  /** 1–56 letters, digits, `_ - .`; the job type is `monitor.<name>`. */
  name: string;
  /** An HTTP(S) URL to check: healthy iff the response status is 2xx (see `expectStatus`). */
  url?: string | URL;
  /** A custom check instead of `url`. */
  check?: MonitorCheck;
  /** How often to check; default "30s". At least 100 ms. */
  interval?: Duration;
  /** How long one check may take before it is aborted and counted as failed; default "5s". Less than `interval`. */
  timeout?: Duration;
  /** Consecutive successes that make the monitor ONLINE; default 2. */
  riseAfter?: number;
  /** Consecutive failures that make the monitor OFFLINE; default 3. */
  fallAfter?: number;
  /** Queues not claimed from while the monitor is OFFLINE: their jobs wait and run once it is ONLINE again. */
  gates?: readonly string[];
  /** Also hold `gates` closed while the monitor is UNKNOWN (before it has proven anything); default false. */
  gateUnknown?: boolean;
  /** The queue the monitor's check jobs run on; default "monitors". It cannot be gated. */
  queue?: string;
  /** HTTP method for `url`: "GET" (default) or "HEAD". */
  method?: "GET" | "HEAD";
  /** HTTP request headers for `url` (e.g. an Authorization header). */
  headers?: Record<string, string>;
  /** Accepted HTTP statuses for `url`; default any 2xx. */
  expectStatus?: number | readonly number[];
}

/** A validated monitor: give it to `createTickflow({ monitors })`, `tickflow.defineMonitor` or the config. */
export interface MonitorDefinition {
  readonly kind: "monitor";
  readonly name: string;
  /** `monitor.<name>`: the stateful job type that runs each check. */
  readonly jobType: string;
  /** The schedule key (= the job type): its durable state key is `schedule:<scheduleKey>`. */
  readonly scheduleKey: string;
  readonly queue: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly riseAfter: number;
  readonly fallAfter: number;
  readonly gates: readonly string[];
  readonly gateUnknown: boolean;
  /** What is checked, for people: `GET https://host/path` or `check()`. */
  readonly target: string;
  /** Runs one check; resolves when healthy, rejects with the reason otherwise. */
  readonly check: CheckFunction;
}

export const DEFAULT_MONITOR_INTERVAL = "30s";
export const DEFAULT_MONITOR_TIMEOUT = "5s";
export const DEFAULT_MONITOR_QUEUE = "monitors";
/** The schedule trigger's minimum. */
const MIN_INTERVAL_MS = 100;
const MONITOR_PREFIX = "monitor.";
const MAX_NAME = 64 - MONITOR_PREFIX.length;

const KNOWN_OPTIONS: readonly string[] = [
  "name",
  "url",
  "check",
  "interval",
  "timeout",
  "riseAfter",
  "fallAfter",
  "gates",
  "gateUnknown",
  "queue",
  "method",
  "headers",
  "expectStatus",
];

/**
 * Declares a liveness monitor (spec §5): a stateful recurring job that runs `check` (or requests
 * `url`) every `interval` under `timeout`, and steps the hysteresis state machine
 * (UNKNOWN → ONLINE after `riseAfter` successes, → OFFLINE after `fallAfter` failures).
 * Everything is validated here; the error names the monitor and every bad field.
 */
export function defineMonitor(options: MonitorOptions): MonitorDefinition {
  if (isMonitorDefinition(options)) return options;
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError(`monitor: expected an object with name and url (or check), got ${options}`);
  }
  const o = options as MonitorOptions & Record<string, unknown>;
  const problems: string[] = [];
  const owner = isValidName(o.name) ? `monitor "${o.name}"` : `monitor ${JSON.stringify(o.name) ?? "?"}`;

  for (const key of Object.keys(o)) {
    if (KNOWN_OPTIONS.includes(key)) continue;
    const near = didYouMean(key, KNOWN_OPTIONS);
    problems.push(`unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}`);
  }
  if (!isValidName(o.name) || o.name.length > MAX_NAME) {
    problems.push(`name must be 1-${MAX_NAME} letters, digits, "_", "-" or "."`);
  }

  const intervalMs = duration(o.interval ?? DEFAULT_MONITOR_INTERVAL, "interval", problems);
  if (intervalMs !== null && intervalMs < MIN_INTERVAL_MS) {
    problems.push(`interval must be at least ${MIN_INTERVAL_MS}ms, got ${formatDuration(intervalMs)}`);
  }
  // The timeout is a timer: past 2^31-1 ms setTimeout would fire at once.
  const timeoutMs = duration(o.timeout ?? DEFAULT_MONITOR_TIMEOUT, "timeout", problems, MAX_TIMER_MS);
  if (timeoutMs === 0) problems.push("timeout must be greater than 0");
  if (timeoutMs !== null && intervalMs !== null && timeoutMs > 0 && timeoutMs >= intervalMs) {
    problems.push(
      `timeout (${formatDuration(timeoutMs)}) must be shorter than interval (${formatDuration(intervalMs)}): a check must end before the next one is due`,
    );
  }
  const riseAfter = threshold(o.riseAfter, DEFAULT_THRESHOLDS.riseAfter, "riseAfter", problems);
  const fallAfter = threshold(o.fallAfter, DEFAULT_THRESHOLDS.fallAfter, "fallAfter", problems);

  const queue = o.queue ?? DEFAULT_MONITOR_QUEUE;
  if (!isValidName(queue)) problems.push(`queue ${JSON.stringify(queue)} is not a valid queue name`);
  const gates = o.gates ?? [];
  if (!Array.isArray(gates)) {
    problems.push("gates must be an array of queue names");
  } else {
    for (const gate of gates) {
      if (!isValidName(gate)) problems.push(`gates: ${JSON.stringify(gate)} is not a valid queue name`);
    }
    if (gates.includes(queue)) {
      problems.push(
        `gates must not include the monitor's own queue "${queue}": its checks could never run again`,
      );
    }
  }
  if (o.gateUnknown !== undefined && typeof o.gateUnknown !== "boolean") {
    problems.push(`gateUnknown must be true or false, got ${JSON.stringify(o.gateUnknown)}`);
  }

  let check: CheckFunction | null = null;
  let target = "check()";
  const hasUrl = o.url !== undefined && o.url !== null;
  const hasCheck = o.check !== undefined && o.check !== null;
  if (hasUrl === hasCheck) {
    problems.push(
      hasUrl ? "give url or check, not both" : "url is required (an http(s) URL), or a check function",
    );
  } else if (hasCheck) {
    if (typeof o.check !== "function") problems.push("check must be a function (signal) => …");
    else check = userCheck(o.check);
    for (const key of ["method", "headers", "expectStatus"] as const) {
      if (o[key] !== undefined) problems.push(`${key} applies to url checks only`);
    }
  } else {
    const url = parseUrl(o.url, problems);
    const method = o.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      problems.push(`method must be "GET" or "HEAD", got ${JSON.stringify(method)}`);
    }
    const headers = o.headers ?? {};
    if (
      typeof headers !== "object" ||
      headers === null ||
      Object.values(headers).some((v) => typeof v !== "string")
    ) {
      problems.push("headers must be an object of strings");
    }
    const expectStatus = statuses(o.expectStatus, problems);
    if (url) {
      target = describeHttpTarget(url, method);
      check = httpCheck({ url, method, headers, expectStatus });
    }
  }

  if (problems.length > 0) throw new InvalidOptionError(`${owner}: ${problems.join("; ")}`);
  const jobType = `${MONITOR_PREFIX}${o.name}`;
  return Object.freeze({
    kind: "monitor" as const,
    name: o.name,
    jobType,
    scheduleKey: jobType,
    queue,
    intervalMs: intervalMs!,
    timeoutMs: timeoutMs!,
    riseAfter,
    fallAfter,
    gates: Object.freeze([...new Set(gates as string[])]),
    gateUnknown: o.gateUnknown === true,
    target,
    check: check!,
  });
}

export function isMonitorDefinition(value: unknown): value is MonitorDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "monitor" &&
    typeof (value as { check?: unknown }).check === "function"
  );
}

/** The row the store keeps for a definition. */
export function toMonitorDefinitionRow(d: MonitorDefinition): MonitorDefinitionRow {
  return {
    name: d.name,
    jobType: d.jobType,
    target: d.target,
    intervalMs: d.intervalMs,
    timeoutMs: d.timeoutMs,
    riseAfter: d.riseAfter,
    fallAfter: d.fallAfter,
    gates: [...d.gates],
    gateUnknown: d.gateUnknown,
  };
}

function duration(value: unknown, field: string, problems: string[], max?: number): number | null {
  if (typeof value !== "number" && typeof value !== "string") {
    problems.push(`${field} must be a duration such as "30s" or a number of milliseconds`);
    return null;
  }
  try {
    return parseDuration(value, field, max);
  } catch (error) {
    problems.push((error as Error).message);
    return null;
  }
}

function threshold(value: unknown, fallback: number, field: string, problems: string[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    problems.push(`${field} must be an integer ≥ 1, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function parseUrl(value: unknown, problems: string[]): URL | null {
  let url: URL;
  try {
    url = value instanceof URL ? value : new URL(String(value));
  } catch {
    problems.push(
      `url ${JSON.stringify(String(value))} is not a valid URL (use e.g. "https://api.example.com/health")`,
    );
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`url "${url.href}" must use http: or https:, not ${url.protocol}`);
    return null;
  }
  return url;
}

function statuses(value: unknown, problems: string[]): number[] | null {
  if (value === undefined) return null;
  const list = Array.isArray(value) ? value : [value];
  const bad = list.filter((s) => typeof s !== "number" || !Number.isInteger(s) || s < 100 || s > 599);
  if (list.length === 0 || bad.length > 0) {
    problems.push(`expectStatus must be HTTP status codes (100-599), got ${JSON.stringify(value)}`);
    return null;
  }
  return list as number[];
}

function userCheck(check: MonitorCheck): CheckFunction {
  return async (signal) => {
    if ((await check(signal)) === false) throw new Error("check returned false");
  };
}
