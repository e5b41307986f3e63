import type { AttemptFinish, FinishResult } from "../ports/job-store.ts";
import {
  MAX_ERROR_MESSAGE_CHARS,
  MAX_ERROR_STACK_CHARS,
  storableOrNull,
  storableText,
} from "./storable-text.ts";
import { timeProblem } from "./store-values.ts";

/**
 * One finish the database cannot take must not fail the batch it came in (issue 19: a NUL byte
 * in one error message had ten successful neighbours run again and end discarded). Finishes are
 * made storable first (text, numbers); a batch the database still refuses is halved and retried
 * until the refused finish stands alone, and that one is recorded as failed with the refusal in
 * its error. Both adapters call this around their one-statement batch write.
 */

/** Why a finish's numbers cannot be stored, or null. */
function numbersProblem(f: AttemptFinish): string | null {
  const times: [string, number][] = [
    ["startedAt", f.startedAt],
    ["endedAt", f.endedAt],
    ["attempt", f.attempt],
    ["leaseToken", f.leaseToken],
  ];
  if (f.next.state === "retry_scheduled") times.push(["retry time", f.next.runAt]);
  if (f.tick) times.push(["tick time", f.tick.nominalAt]);
  for (const [name, value] of times) {
    const problem = timeProblem(value);
    if (problem !== null) return `${name} ${problem}`;
  }
  return null;
}

/** The finish with every text made storable (messages bounded); numbers are checked separately. */
export function storableFinish(f: AttemptFinish): AttemptFinish {
  const workerId = storableText(f.workerId);
  if (f.error === null && f.state === null && f.tick === null && workerId === f.workerId) return f;
  return {
    ...f,
    workerId,
    error: f.error && {
      message: storableText(f.error.message, MAX_ERROR_MESSAGE_CHARS),
      stack: storableOrNull(f.error.stack, MAX_ERROR_STACK_CHARS),
    },
    state: f.state && { key: storableText(f.state.key), json: storableText(f.state.json) },
    tick: f.tick && { scheduleId: storableText(f.tick.scheduleId), nominalAt: f.tick.nominalAt },
  };
}

/**
 * What is recorded for a finish the store could not take as reported: a failure (or, with no valid
 * retry time, a discard — a retry time that cannot be stored must not loop), no durable state and
 * no tick start, and an error saying why, followed by the handler's own error.
 */
export function refusedFinish(f: AttemptFinish, reason: string): AttemptFinish {
  const retryValid = f.next.state !== "retry_scheduled" || timeProblem(f.next.runAt) === null;
  const next = retryValid ? f.next : { state: "discarded" as const };
  const handler = f.error ? `; the handler's error: ${f.error.message}` : "";
  const message = storableText(
    `tickflow could not store this attempt's outcome as reported (${reason})${handler}`,
    MAX_ERROR_MESSAGE_CHARS,
  );
  const whole = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.round(n)) : 0);
  const endedAt = timeProblem(f.endedAt) === null ? f.endedAt : whole(Date.now());
  return {
    ...f,
    startedAt: timeProblem(f.startedAt) === null ? f.startedAt : endedAt,
    endedAt,
    outcome: next.state === "discarded" ? "discarded" : f.outcome === "succeeded" ? "succeeded" : f.outcome,
    next,
    error: { message, stack: storableOrNull(f.error?.stack ?? null, MAX_ERROR_STACK_CHARS) },
    state: null,
    tick: null,
  };
}

/** Finishes ready for SQL: storable text, and a refused finish in place of one whose numbers are not. */
export function prepareFinishes(finishes: readonly AttemptFinish[]): AttemptFinish[] {
  return finishes.map((f) => {
    const problem = numbersProblem(f);
    return problem === null ? storableFinish(f) : refusedFinish(storableFinish(f), problem);
  });
}

export interface IsolationOptions {
  /** Writes one batch in one transaction (all or nothing). */
  apply(finishes: readonly AttemptFinish[]): Promise<FinishResult[]>;
  /**
   * Whether the database refused the values (so another split may succeed), as opposed to the
   * connection or the lock failing, which a retry of halves would only repeat.
   */
  isValueRefusal(error: unknown): boolean;
  /** Told of each finish recorded in place of a refused one. */
  onRefused?(finish: AttemptFinish, error: unknown): void;
}

/** Applies the batch; a refused batch is bisected so only the refused finishes change. */
export async function finishIsolated(
  finishes: readonly AttemptFinish[],
  options: IsolationOptions,
): Promise<FinishResult[]> {
  const prepared = prepareFinishes(finishes);
  const run = async (batch: readonly AttemptFinish[]): Promise<FinishResult[]> => {
    try {
      return await options.apply(batch);
    } catch (error) {
      if (!options.isValueRefusal(error)) throw error;
      if (batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        return [...(await run(batch.slice(0, half))), ...(await run(batch.slice(half)))];
      }
      const only = batch[0] as AttemptFinish;
      const replacement = refusedFinish(only, `the database refused it: ${messageOf(error)}`);
      options.onRefused?.(replacement, error);
      return options.apply([replacement]);
    }
  };
  return run(prepared);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
