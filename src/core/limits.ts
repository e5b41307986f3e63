/**
 * The ranges every time and duration must fit: what timers, `Date` and both stores hold.
 * Checked where an option is given (definition, enqueue, config) so the caller hears about it;
 * timers are clamped as well, so a value that slipped through can never spin or fire at once.
 */

/** setTimeout's largest delay: 2^31−1 ms (about 24.8 days). A larger one fires at once (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The latest instant a job or schedule may be due: 9999-12-31T23:59:59.999Z. `Date` holds up to
 * 8.64e15 but ISO text (API, dashboard, logs) keeps four-digit years only this far.
 */
export const MAX_INSTANT_MS = 253_402_300_799_999;

/** The longest duration anywhere (delay, retention, backoff, grace): 100 years. */
export const MAX_DURATION_MS = 36_500 * 86_400_000;

/** Job priorities are stored as 32-bit integers on PostgreSQL. */
export const MIN_PRIORITY = -(2 ** 31);
export const MAX_PRIORITY = 2 ** 31 - 1;

/** Attempts are counted in a 32-bit integer column; more than a million is a typo. */
export const MAX_ATTEMPTS = 1_000_000;

/** The one rule for every timer: a delay in [0, MAX_TIMER_MS]; NaN or negative is 0. */
export function clampTimerMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** "2147483647ms (about 24.8 days)": a limit said both exactly and for people. */
export function describeLimitMs(ms: number): string {
  const days = ms / 86_400_000;
  return days >= 1 ? `${ms}ms (about ${+days.toFixed(1)} days)` : `${ms}ms`;
}
