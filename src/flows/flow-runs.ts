import type { TickflowEvents } from "../events.ts";
import type { FlowRunRow } from "../store/flow-store.ts";

/** Events for runs, in one place so every path (trigger, job, sweeper) reports a run the same way. */

export function emitEnqueue(events: TickflowEvents, run: FlowRunRow, queue: string): void {
  events.emit("flow:enqueue", {
    flow: run.flow,
    runId: run.id,
    jobId: run.jobId,
    source: run.source,
    attempt: run.attempt,
    status: "pending",
    queue,
    durationMs: null,
  });
}

export function emitFinish(
  events: TickflowEvents,
  run: FlowRunRow,
  error: Error | null,
  willRetryRun: boolean,
): void {
  events.emit("flow:finish", {
    flow: run.flow,
    runId: run.id,
    jobId: run.jobId,
    source: run.source,
    attempt: run.attempt,
    status: run.status === "success" ? "success" : "failed",
    startedAt: run.startedAt,
    endedAt: run.endedAt!,
    durationMs: run.durationMs,
    error,
    willRetry: willRetryRun,
    abandoned: false,
  });
}

/** Runs closed because their job ended without finishing them: they finish `failed`, abandoned. */
export function emitAbandoned(events: TickflowEvents, runs: readonly FlowRunRow[]): void {
  for (const run of runs) {
    events.emit("flow:finish", {
      flow: run.flow,
      runId: run.id,
      jobId: run.jobId,
      source: run.source,
      attempt: run.attempt,
      status: "failed",
      startedAt: run.startedAt,
      endedAt: run.endedAt!,
      durationMs: run.durationMs,
      error: new Error(run.errorMessage ?? "abandoned"),
      willRetry: false,
      abandoned: true,
    });
  }
}
