import { Cron } from "croner";
import { InvalidScheduleError } from "../errors.ts";
import { type Duration, formatDuration, parseDuration } from "./duration.ts";
import { MAX_INSTANT_MS } from "./limits.ts";
import { describeValue } from "./options.ts";

/**
 * When a schedule fires. Persisted as JSON on the schedule row, so each shape carries `kind`.
 * - `cron`: 5 fields (minute precision) or 6 (leading seconds), in an IANA time zone (default UTC).
 * - `every`: a fixed interval, aligned to the Unix epoch so every process computes the same nominal
 *   times (every "30s" fires at :00 and :30) — which is what makes the fire key exactly-once.
 * - `at`: one instant.
 */
export type Trigger =
  | { kind: "cron"; expression: string; timezone: string }
  | { kind: "every"; intervalMs: number }
  | { kind: "at"; at: number };

/** What users write: exactly one of `cron`, `every`, `at`. */
export interface TriggerOption {
  cron?: string;
  timezone?: string;
  every?: Duration;
  at?: Date | string | number;
}

const cronCache = new Map<string, Cron>();

function cronFor(expression: string, timezone: string): Cron {
  const cacheKey = `${timezone}\u0000${expression}`;
  let cron = cronCache.get(cacheKey);
  if (!cron) {
    // paused + no callback: croner only computes times here, it never arms a timer.
    // domAndDow false: Vixie-cron semantics (day-of-month OR day-of-week), what crontab users expect.
    cron = new Cron(expression, { timezone, paused: true, domAndDow: false });
    cronCache.set(cacheKey, cron);
  }
  return cron;
}

function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Validates and normalizes a trigger. `owner` names the schedule in errors. */
export function parseTrigger(option: TriggerOption, owner: string): Trigger {
  const given = (["cron", "every", "at"] as const).filter((k) => option[k] !== undefined);
  if (given.length !== 1) {
    throw new InvalidScheduleError(
      `schedule "${owner}": give exactly one of cron, every or at (got ${given.length === 0 ? "none" : given.join(", ")})`,
    );
  }
  if (option.cron !== undefined) {
    if (typeof option.cron !== "string") {
      throw new InvalidScheduleError(
        `schedule "${owner}": cron must be a cron expression string such as "0 9 * * *", got ${describeValue(option.cron)}`,
      );
    }
    if (option.timezone !== undefined && typeof option.timezone !== "string") {
      throw new InvalidScheduleError(
        `schedule "${owner}": timezone must be an IANA name such as "Europe/Berlin", got ${describeValue(option.timezone)}`,
      );
    }
    const expression = option.cron.trim();
    const timezone = option.timezone ?? "UTC";
    if (!isValidTimezone(timezone)) {
      throw new InvalidScheduleError(
        `schedule "${owner}": unknown time zone "${timezone}" (use an IANA name such as Europe/Berlin)`,
      );
    }
    const fields = expression.split(/\s+/).length;
    if (fields !== 5 && fields !== 6) {
      throw new InvalidScheduleError(
        `schedule "${owner}": cron expression "${option.cron}" has ${fields} fields; use 5 (minute hour day month weekday) or 6 (with leading seconds)`,
      );
    }
    try {
      // A pattern that matches no date (e.g. "0 0 30 2 *") would be a schedule that never runs.
      if (cronFor(expression, timezone).nextRun(new Date(0)) === null) {
        throw new Error("it matches no date, so it would never fire");
      }
    } catch (error) {
      throw new InvalidScheduleError(
        `schedule "${owner}": invalid cron expression "${option.cron}": ${(error as Error).message}`,
      );
    }
    return { kind: "cron", expression, timezone };
  }
  if (option.timezone !== undefined) {
    throw new InvalidScheduleError(`schedule "${owner}": timezone applies only to cron schedules`);
  }
  if (option.every !== undefined) {
    let intervalMs: number;
    try {
      intervalMs = parseDuration(option.every, "every");
    } catch (error) {
      throw new InvalidScheduleError(`schedule "${owner}": ${(error as Error).message}`);
    }
    if (intervalMs < 100) {
      throw new InvalidScheduleError(
        `schedule "${owner}": every "${option.every}" is shorter than the 100ms minimum`,
      );
    }
    return { kind: "every", intervalMs };
  }
  const at =
    option.at instanceof Date
      ? option.at.getTime()
      : typeof option.at === "number"
        ? option.at
        : typeof option.at === "string"
          ? new Date(option.at).getTime()
          : Number.NaN;
  if (!Number.isFinite(at)) {
    throw new InvalidScheduleError(
      `schedule "${owner}": at ${JSON.stringify(option.at)} is not a valid instant`,
    );
  }
  if (at < 0 || at > MAX_INSTANT_MS) {
    throw new InvalidScheduleError(
      `schedule "${owner}": at ${describeValue(option.at)} is out of range: from 1970-01-01 to 9999-12-31 (epoch ms 0 to ${MAX_INSTANT_MS})`,
    );
  }
  return { kind: "at", at };
}

/**
 * The first nominal fire time strictly after `after` (epoch ms), or null when the trigger is done.
 *
 * DST policy for `cron` (croner's, and tested): a wall-clock time that does not exist on a
 * spring-forward day (02:30 in Europe/Berlin on the last Sunday of March) fires once, at the first
 * instant after the gap (03:00); a wall-clock time that occurs twice on a fall-back day fires once,
 * at its first occurrence. Interval-like expressions (`0 * * * *`) keep their real-time spacing.
 */
export function nextFireAt(trigger: Trigger, after: number): number | null {
  switch (trigger.kind) {
    case "every":
      return (Math.floor(after / trigger.intervalMs) + 1) * trigger.intervalMs;
    case "at":
      return trigger.at > after ? trigger.at : null;
    case "cron": {
      const next = cronFor(trigger.expression, trigger.timezone).nextRun(new Date(after));
      return next ? next.getTime() : null;
    }
  }
}

/**
 * The first fire time of a schedule written now. An `at` time that passed less than `graceMs`
 * ago — the process started, or the schedule was synced, a moment after it — is that time: its
 * tick is then decided late, by the misfire policy, instead of never (an `at` of "now + 300 ms" in a
 * config that took a second to load used to fire nothing). Older than the grace, it never fires.
 */
export function firstFireAt(trigger: Trigger, graceMs: number, now: number): number | null {
  if (trigger.kind === "at" && trigger.at <= now) return now - trigger.at <= graceMs ? trigger.at : null;
  return nextFireAt(trigger, now);
}

/**
 * The last nominal fire time at or before `at`, or null when the trigger has none yet: the period
 * `at` falls in. Both drivers of a scheduled flow (the internal scheduler and `POST /heartbeat`)
 * key a run by it, so one period runs at most once whoever gets there first.
 */
export function latestFireAt(trigger: Trigger, at: number): number | null {
  switch (trigger.kind) {
    case "every":
      return Math.floor(at / trigger.intervalMs) * trigger.intervalMs;
    case "at":
      return trigger.at <= at ? trigger.at : null;
    case "cron": {
      // previousRuns is strictly before its reference; cron has (at best) second precision.
      const [previous] = cronFor(trigger.expression, trigger.timezone).previousRuns(1, new Date(at + 1));
      return previous ? previous.getTime() : null;
    }
  }
}

/** The next `count` fire times after `after`: what `previewRuns(n)` shows. */
export function previewFireTimes(trigger: Trigger, after: number, count: number): number[] {
  const times: number[] = [];
  let cursor = after;
  while (times.length < count) {
    const next = nextFireAt(trigger, cursor);
    if (next === null) break;
    times.push(next);
    cursor = next;
  }
  return times;
}

/** A short human description for listings: "cron 0 9 * * * (Europe/Berlin)", "every 30s". */
export function describeTrigger(trigger: Trigger): string {
  switch (trigger.kind) {
    case "cron":
      return `cron ${trigger.expression}${trigger.timezone === "UTC" ? "" : ` (${trigger.timezone})`}`;
    case "every":
      return `every ${formatDuration(trigger.intervalMs)}`;
    case "at":
      return `at ${new Date(trigger.at).toISOString()}`;
  }
}
