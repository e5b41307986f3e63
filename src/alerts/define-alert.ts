import { didYouMean } from "../core/did-you-mean.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import { DEFAULT_INCIDENT_POLICY, type IncidentPolicy } from "../core/incidents.ts";
import { isValidName } from "../core/names.ts";
import { describeValue } from "../core/options.ts";
import { InvalidOptionError } from "../errors.ts";

/** What an alert rule watches. */
export const ALERT_SOURCES = ["schedule", "flow", "monitor", "heartbeat", "queue", "check"] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** Schedule health states a rule can fire on (spec §11's vocabulary). */
export const ALERTABLE_HEALTH = ["failing", "missed", "late"] as const;
export type AlertableHealth = (typeof ALERTABLE_HEALTH)[number];

/** What `defineAlert` (and the config's `alerts.rules`) accepts. */
export interface AlertRuleOptions {
  /** 1–64 letters, digits, `_ - .`. */
  name: string;
  /** What the rule watches. */
  when: AlertSource;
  /** The schedule, flow, monitor, queue or check it watches ("*": every one); not for heartbeat. */
  target?: string;
  /** The channels that are told (names from `alerts.channels`). */
  channels: readonly string[];
  /** schedule: the health states that fire it; default ["failing", "missed"]. */
  health?: readonly AlertableHealth[];
  /** flow: this many consecutive failed runs fire it (default 1, unless `failureRate`). */
  consecutiveFailures?: number;
  /** flow: fire when the share of failed runs in `window` is above this (0–1). */
  failureRate?: number;
  /** flow, with `failureRate`: the window, e.g. "1h" (default "1h"). */
  window?: Duration;
  /** flow, with `failureRate`: at least this many finished runs in the window (default 3). */
  minRuns?: number;
  /** queue: fire when its oldest waiting job has waited longer than this, e.g. "5m". */
  olderThan?: Duration;
  /** Consecutive bad evaluations before an incident opens (default 1). */
  openAfter?: number;
  /** Consecutive good evaluations before it resolves (default 2): damps flapping. */
  resolveAfter?: number;
  /** Re-notify while open this often, e.g. "1h" (default); null: never. */
  renotify?: Duration | null;
}

/** A validated alert rule. */
export interface AlertRule {
  readonly kind: "alert";
  readonly name: string;
  readonly when: AlertSource;
  readonly target: string;
  readonly channels: readonly string[];
  readonly health: readonly AlertableHealth[];
  readonly flow: { consecutiveFailures: number } | { failureRate: number; windowMs: number; minRuns: number };
  readonly olderThanMs: number;
  readonly policy: IncidentPolicy;
}

const COMMON = ["name", "when", "target", "channels", "openAfter", "resolveAfter", "renotify"];
const BY_SOURCE: Record<AlertSource, readonly string[]> = {
  schedule: [...COMMON, "health"],
  flow: [...COMMON, "consecutiveFailures", "failureRate", "window", "minRuns"],
  monitor: COMMON,
  heartbeat: COMMON.filter((k) => k !== "target"),
  queue: [...COMMON, "olderThan"],
  check: COMMON,
};

const fail = (owner: string, message: string): never => {
  throw new InvalidOptionError(`${owner}: ${message}`);
};
const hint = (near: string | undefined) => (near ? ` (did you mean "${near}"?)` : "");

function wholeAtLeast(value: unknown, min: number, fallback: number, owner: string, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    fail(owner, `${what} must be a whole number of at least ${min}, got ${describeValue(value)}`);
  }
  return value as number;
}

function durationOf(value: Duration, owner: string, what: string): number {
  try {
    return parseDuration(value, what);
  } catch (error) {
    return fail(owner, (error as Error).message);
  }
}

/**
 * Declares an alert rule (spec §12): what it watches, when it fires, whom it tells, and how its
 * incidents behave. Validated here, one clear line naming the rule and the bad field; the
 * channels and the watched schedule, flow, monitor or check are checked against what exists
 * when the rule is added to a Tickflow and at start.
 */
export function defineAlert(options: AlertRuleOptions): AlertRule {
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError(
      `alert: expected an object with name, when and channels, got ${describeValue(options)}`,
    );
  }
  if ((options as unknown as AlertRule).kind === "alert") return options as unknown as AlertRule;
  const o = options as AlertRuleOptions & Record<string, unknown>;
  const owner = isValidName(o.name) ? `alert "${o.name}"` : "alert";
  if (!isValidName(o.name))
    fail(owner, `name must be 1-64 letters, digits, "_", "-" or ".", got ${describeValue(o.name)}`);
  if (!(ALERT_SOURCES as readonly string[]).includes(o.when as string)) {
    fail(
      owner,
      `when must be one of ${ALERT_SOURCES.join(", ")}, got ${describeValue(o.when)}${hint(didYouMean(String(o.when), ALERT_SOURCES))}`,
    );
  }
  const known = BY_SOURCE[o.when];
  for (const key of Object.keys(o)) {
    if (!known.includes(key))
      fail(owner, `unknown option "${key}" for when: "${o.when}"${hint(didYouMean(key, known))}`);
  }
  const target = o.when === "heartbeat" ? "heartbeat" : (o.target ?? "*");
  if (target !== "*" && !isValidName(target))
    fail(owner, `target must be a name or "*", got ${describeValue(target)}`);
  if (
    !Array.isArray(o.channels) ||
    o.channels.length === 0 ||
    o.channels.some((c) => typeof c !== "string")
  ) {
    fail(owner, "channels must name at least one channel");
  }
  const health = o.health ?? ["failing", "missed"];
  if (
    !Array.isArray(health) ||
    health.length === 0 ||
    health.some((h) => !(ALERTABLE_HEALTH as readonly string[]).includes(h))
  ) {
    fail(owner, `health must list some of ${ALERTABLE_HEALTH.join(", ")}`);
  }
  return {
    kind: "alert",
    name: o.name,
    when: o.when,
    target,
    channels: [...o.channels],
    health: [...health],
    flow: flowCondition(o, owner),
    olderThanMs:
      o.when === "queue"
        ? durationOf(o.olderThan ?? fail(owner, 'olderThan is required, e.g. "5m"'), owner, "olderThan")
        : 0,
    policy: {
      openAfter: wholeAtLeast(o.openAfter, 1, DEFAULT_INCIDENT_POLICY.openAfter, owner, "openAfter"),
      resolveAfter: wholeAtLeast(
        o.resolveAfter,
        1,
        DEFAULT_INCIDENT_POLICY.resolveAfter,
        owner,
        "resolveAfter",
      ),
      renotifyMs:
        o.renotify === null
          ? null
          : o.renotify === undefined
            ? DEFAULT_INCIDENT_POLICY.renotifyMs
            : durationOf(o.renotify, owner, "renotify"),
    },
  };
}

function flowCondition(o: AlertRuleOptions, owner: string): AlertRule["flow"] {
  if (o.failureRate === undefined) {
    return { consecutiveFailures: wholeAtLeast(o.consecutiveFailures, 1, 1, owner, "consecutiveFailures") };
  }
  if (o.consecutiveFailures !== undefined) fail(owner, "give consecutiveFailures or failureRate, not both");
  if (typeof o.failureRate !== "number" || !(o.failureRate >= 0 && o.failureRate < 1)) {
    fail(
      owner,
      `failureRate must be a share from 0 to below 1 (0.5 = half the runs), got ${describeValue(o.failureRate)}`,
    );
  }
  return {
    failureRate: o.failureRate,
    windowMs: durationOf(o.window ?? "1h", owner, "window"),
    minRuns: wholeAtLeast(o.minRuns, 1, 3, owner, "minRuns"),
  };
}
