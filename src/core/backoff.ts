import { InvalidOptionError } from "../errors.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { describeValue, optionsProblem } from "./options.ts";

/**
 * How long to wait before attempt n+1. `exponential` (default): base · 2^(n-1), capped at `maxMs`,
 * with "full jitter" over the upper half (delay · (0.5 + random/2)) so a burst of failures does
 * not retry in lockstep yet never retries sooner than half the nominal delay.
 */
export type BackoffPolicy =
  | { type: "exponential"; baseMs: number; maxMs: number; jitter: boolean }
  | { type: "fixed"; delayMs: number };

export type BackoffOption =
  | { type: "exponential"; base?: Duration; max?: Duration; jitter?: boolean }
  | { type: "fixed"; delay: Duration };

/** 1 s doubling to at most 1 h: 1, 2, 4 … s, the shape Oban and Sidekiq users expect. */
export const DEFAULT_BACKOFF: Extract<BackoffPolicy, { type: "exponential" }> = {
  type: "exponential",
  baseMs: 1_000,
  maxMs: 3_600_000,
  jitter: true,
};

const BACKOFF_KEYS = { fixed: ["type", "delay"], exponential: ["type", "base", "max", "jitter"] } as const;

export function parseBackoff(option: BackoffOption | undefined): BackoffPolicy {
  if (option === undefined) return DEFAULT_BACKOFF;
  if (typeof option !== "object" || option === null || Array.isArray(option)) {
    throw new InvalidOptionError(
      `backoff must be { type: "exponential", base?, max?, jitter? } or { type: "fixed", delay }, got ${describeValue(option)}`,
    );
  }
  if (option.type !== "fixed" && option.type !== "exponential") {
    throw new InvalidOptionError(
      `backoff.type must be "exponential" or "fixed", got ${describeValue((option as { type?: unknown }).type)}`,
    );
  }
  const problem = optionsProblem(option, BACKOFF_KEYS[option.type], "backoff");
  if (problem) throw new InvalidOptionError(problem);
  if (option.type === "fixed") {
    if (option.delay === undefined)
      throw new InvalidOptionError('backoff.delay is required with type "fixed"');
    return { type: "fixed", delayMs: parseDuration(option.delay, "backoff.delay") };
  }
  const baseMs =
    option.base === undefined ? DEFAULT_BACKOFF.baseMs : parseDuration(option.base, "backoff.base");
  const maxMs = option.max === undefined ? DEFAULT_BACKOFF.maxMs : parseDuration(option.max, "backoff.max");
  // A zero base would make every delay 0 (and 0 · 2^1025 = NaN): retries need a real pause.
  if (baseMs < 1) throw new InvalidOptionError("backoff.base must be at least 1ms");
  if (option.jitter !== undefined && typeof option.jitter !== "boolean") {
    throw new InvalidOptionError(`backoff.jitter must be true or false, got ${describeValue(option.jitter)}`);
  }
  return { type: "exponential", baseMs, maxMs, jitter: option.jitter ?? true };
}

/**
 * A stored backoff policy (JSON), checked: the policy, or why it cannot be used. A malformed one
 * (edited by hand, written by a broken release) once made every retry time NaN, and the attempt's
 * finish was refused whole (issue 19).
 */
export function readBackoffPolicy(json: string): { policy: BackoffPolicy } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { problem: "it is not valid JSON" };
  }
  const v = (value ?? {}) as Record<string, unknown>;
  const ms = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0;
  if (v.type === "fixed" && ms(v.delayMs)) return { policy: { type: "fixed", delayMs: v.delayMs as number } };
  if (v.type === "exponential" && ms(v.baseMs) && (v.baseMs as number) >= 1 && ms(v.maxMs))
    return {
      policy: {
        type: "exponential",
        baseMs: v.baseMs as number,
        maxMs: v.maxMs as number,
        jitter: v.jitter !== false,
      },
    };
  return { problem: `${JSON.stringify(value)} is not a backoff policy` };
}

/** Delay after failed attempt `attempt` (1-based). `random01` is in [0, 1). */
export function retryDelayMs(attempt: number, policy: BackoffPolicy, random01: number): number {
  if (policy.type === "fixed") return policy.delayMs;
  const nominal = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(policy.jitter ? nominal * (0.5 + random01 / 2) : nominal);
}

export type FailureDecision = { state: "retry_scheduled"; runAt: number } | { state: "discarded" };

/** What happens to a job whose attempt `attempt` of `maxAttempts` failed at `now`. */
export function afterFailure(
  attempt: number,
  maxAttempts: number,
  policy: BackoffPolicy,
  now: number,
  random01: number,
): FailureDecision {
  if (attempt >= maxAttempts) return { state: "discarded" };
  return { state: "retry_scheduled", runAt: now + retryDelayMs(attempt, policy, random01) };
}
