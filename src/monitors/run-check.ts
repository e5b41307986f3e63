import { formatDuration } from "../core/duration.ts";
import { clampTimerMs } from "../core/limits.ts";
import type { CheckFunction } from "./http-check.ts";

/** What one check came to: a result that counts, or an abort from outside that does not. */
export type CheckOutcome =
  | { kind: "result"; ok: true; durationMs: number }
  | { kind: "result"; ok: false; durationMs: number; error: Error }
  | { kind: "aborted"; durationMs: number; error: Error };

/**
 * Runs `check` under `timeoutMs`. It gets `AbortSignal.any([signal, <timeout signal>])`,
 * and its promise is raced against that signal, so a check that ignores its signal is abandoned
 * at the timeout (its late settle is swallowed) and never holds the worker slot longer.
 * A timeout or a thrown error is a failed result; an abort of `signal` (shutdown, lost lease)
 * is `aborted`: the check is not counted.
 */
export async function runCheck(
  check: CheckFunction,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  // Not AbortSignal.timeout(): its timer is unref'd, so a check waiting on nothing but the timeout
  // would let the event loop exit instead of timing out. This timer is cleared when the check ends.
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError")),
    clampTimerMs(timeoutMs),
  );
  const combined = AbortSignal.any([signal, timeout.signal]);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(combined.reason);
    if (combined.aborted) onAbort();
    else combined.addEventListener("abort", onAbort, { once: true });
  });
  const run = Promise.resolve().then(() => check(combined));
  // Whichever loses the race must not surface as an unhandled rejection.
  run.catch(() => undefined);
  aborted.catch(() => undefined);
  try {
    await Promise.race([run, aborted]);
    return { kind: "result", ok: true, durationMs: elapsed() };
  } catch (error) {
    const durationMs = elapsed();
    if (signal.aborted) return { kind: "aborted", durationMs, error: toError(signal.reason) };
    if (timeout.signal.aborted) {
      return {
        kind: "result",
        ok: false,
        durationMs,
        error: new Error(`timed out after ${formatDuration(timeoutMs)}`),
      };
    }
    return { kind: "result", ok: false, durationMs, error: toError(error) };
  } finally {
    clearTimeout(timer);
    if (onAbort) combined.removeEventListener("abort", onAbort);
  }
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : `check failed: ${String(value)}`);
}
