import type { TickflowEvents } from "../events.ts";
import type { FlowRunRow } from "../store/ports/rows.ts";

/** Events for runs, in one place so every path (trigger, job, sweeper) reports a run the same way. */

/** The fields every flow event gives of its run. */
function runFields(run: FlowRunRow) {
  return { flow: run.flow, runId: run.id, jobId: run.jobId, source: run.source, attempt: run.attempt };
}

export function emitEnqueue(events: TickflowEvents, run: FlowRunRow, queue: string): void {
  events.emit("flow:enqueue", { ...runFields(run), status: "pending", queue, durationMs: null });
}

function emitFinished(
  events: TickflowEvents,
  run: FlowRunRow,
  finish: { status: "success" | "failed"; error: Error | null; willRetry: boolean; abandoned: boolean },
): void {
  events.emit("flow:finish", {
    ...runFields(run),
    startedAt: run.startedAt,
    endedAt: run.endedAt!,
    durationMs: run.durationMs,
    ...finish,
  });
}

export function emitFinish(
  events: TickflowEvents,
  run: FlowRunRow,
  error: Error | null,
  willRetryRun: boolean,
): void {
  const status = run.status === "success" ? "success" : "failed";
  emitFinished(events, run, { status, error, willRetry: willRetryRun, abandoned: false });
}

/** Runs closed because their job ended without finishing them: they finish `failed`, abandoned. */
export function emitAbandoned(events: TickflowEvents, runs: readonly FlowRunRow[]): void {
  for (const run of runs) {
    const error = new Error(run.errorMessage ?? "abandoned");
    emitFinished(events, run, { status: "failed", error, willRetry: false, abandoned: true });
  }
}
