import { InvalidOptionError } from "../errors.ts";
import { describeLimitMs, MAX_DURATION_MS } from "./limits.ts";
import { describeValue } from "./options.ts";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration given as milliseconds or as text such as "30s", "5m", "1h", "250ms". */
export type Duration = number | string;

/**
 * Parses a duration. `what` names the option in the error, e.g. `every` or `timeout`.
 * Compound text ("1h30m") is not accepted: one number, one unit keeps config readable.
 * `max` bounds it (default 100 years; timers pass MAX_TIMER_MS, the most setTimeout can wait).
 */
export function parseDuration(value: Duration, what: string, max: number = MAX_DURATION_MS): number {
  const ms = parseUnbounded(value, what);
  if (ms > max) {
    throw new InvalidOptionError(
      `${what}: ${typeof value === "string" ? JSON.stringify(value) : value} is too long: at most ${describeLimitMs(max)}`,
    );
  }
  return ms;
}

function parseUnbounded(value: unknown, what: string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new InvalidOptionError(`${what}: ${value} is not a non-negative number of milliseconds`);
    }
    return Math.round(value);
  }
  if (typeof value !== "string") {
    throw new InvalidOptionError(
      `${what}: expected milliseconds or a duration such as "30s", got ${describeValue(value)}`,
    );
  }
  const match = DURATION_RE.exec(value.trim());
  if (!match) {
    throw new InvalidOptionError(
      `${what}: "${value}" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")`,
    );
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}

/** Formats milliseconds compactly for logs and listings: 1500 → "1.5s". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}
