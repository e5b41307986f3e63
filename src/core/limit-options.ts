import { InvalidOptionError } from "../errors.ts";
import { type Duration, parseDuration } from "./duration.ts";
import type { LimitRule } from "./job-limits.ts";
import { validateName } from "./names.ts";
import { describeValue, optionsProblem } from "./options.ts";

/** `defineLimit(…)`: one queue or one job type, and at least one of its caps. */
export interface LimitOptions {
  /** Defaults to `queue:<queue>` or `type:<type>`. */
  name?: string;
  queue?: string;
  type?: string;
  /** At most this many of the scope's jobs running at once, across every process. */
  concurrency?: number;
  /** At most this many running at once per concurrency key (jobs without a key are not capped by it). */
  perKey?: number;
  /** At most `limit` starts per `period` (token bucket, capacity `limit`); `perKey`: one bucket per key. */
  rate?: { limit: number; period: Duration; perKey?: boolean };
}

const KEYS = ["name", "queue", "type", "concurrency", "perKey", "rate"] as const;
const RATE_KEYS = ["limit", "period", "perKey"] as const;
const MAX_COUNT = 1_000_000;

/** Validates limit options into a rule; one clear line naming what is wrong otherwise. */
export function limitRuleOf(options: LimitOptions): LimitRule {
  const problem = optionsProblem(options, KEYS, "defineLimit options");
  if (problem || options === undefined)
    throw new InvalidOptionError(`defineLimit: ${problem ?? "options are required"}`);
  const { queue, type } = options;
  if ((queue === undefined) === (type === undefined))
    throw new InvalidOptionError("defineLimit: give exactly one of queue and type");
  const scope = queue !== undefined ? validateName(queue, "queue") : validateName(type, "job type");
  const name = options.name ?? `${queue !== undefined ? "queue" : "type"}:${scope}`;
  if (typeof name !== "string" || name.length === 0 || name.length > 128)
    throw new InvalidOptionError(
      `defineLimit: name must be a string of 1-128 characters, got ${describeValue(name)}`,
    );
  const owner = `defineLimit "${name}"`;
  const rule: LimitRule = {
    name,
    queue: queue ?? null,
    type: queue === undefined ? (type ?? null) : null,
    concurrency: count(options.concurrency, `${owner}: concurrency`),
    perKey: count(options.perKey, `${owner}: perKey`),
    rate: null,
  };
  if (options.rate !== undefined) {
    const rateProblem = optionsProblem(options.rate, RATE_KEYS, `${owner}: rate`);
    if (rateProblem) throw new InvalidOptionError(`${owner}: ${rateProblem}`);
    const limit = count(options.rate.limit, `${owner}: rate.limit`);
    if (limit === null) throw new InvalidOptionError(`${owner}: rate.limit is required`);
    const periodMs = parseDuration(options.rate.period, `${owner}: rate.period`);
    if (periodMs < 1) throw new InvalidOptionError(`${owner}: rate.period must be at least 1 ms`);
    const perKey = options.rate.perKey ?? false;
    if (typeof perKey !== "boolean")
      throw new InvalidOptionError(
        `${owner}: rate.perKey must be true or false, got ${describeValue(perKey)}`,
      );
    rule.rate = { limit, periodMs, perKey };
  }
  if (rule.concurrency === null && rule.perKey === null && rule.rate === null)
    throw new InvalidOptionError(`${owner}: give at least one of concurrency, perKey and rate`);
  return rule;
}

function count(value: unknown, what: string): number | null {
  if (value === undefined) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_COUNT)
    throw new InvalidOptionError(
      `${what} must be a whole number from 1 to ${MAX_COUNT}, got ${describeValue(value)}`,
    );
  return value;
}

/** Refuses two rules with one name (they would share buckets). */
export function checkUniqueRules(rules: readonly LimitRule[]): void {
  const names = new Set<string>();
  for (const rule of rules) {
    if (names.has(rule.name))
      throw new InvalidOptionError(`defineLimit: a limit named "${rule.name}" is already defined`);
    names.add(rule.name);
  }
}
