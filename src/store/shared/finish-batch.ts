import type { AttemptFinish } from "../ports/job-store.ts";

/**
 * Whether a finish batch is the common one — every attempt succeeded, all by one worker, with no
 * durable state, schedule tick or error to record — which adapters write with a leaner statement
 * than the general one. One batch, one statement: a batch with any other finish takes the
 * general path whole.
 */
export function isPlainSuccessBatch(finishes: readonly AttemptFinish[]): boolean {
  const workerId = finishes[0]?.workerId;
  return finishes.every(
    (f) =>
      f.outcome === "succeeded" &&
      f.next.state === "succeeded" &&
      f.workerId === workerId &&
      f.state === null &&
      f.tick === null &&
      f.error === null,
  );
}
