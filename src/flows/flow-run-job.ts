import { isTriggerSource, type TriggerSource, willRetry } from "../core/flow-run-state.ts";
import { UnknownFlowError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import { defineJob, type JobContext, type JobDefinition } from "../runtime/registry.ts";
import type { FlowRunRow } from "../store/ports/rows.ts";
import type { Store } from "../store/store.ts";
import type { FlowContext, FlowDefinition } from "./define-flow.ts";
import { emitAbandoned, emitEnqueue, emitFinish } from "./flow-runs.ts";
import { FLOW_RUN_JOB, type FlowRunPayload } from "./sync-flows.ts";

export interface FlowRunJobDeps {
  store: Store;
  events: TickflowEvents;
  /** The flow definitions this process loaded, by name. */
  definition(name: string): FlowDefinition | undefined;
  now(): number;
}

/** What the flow-run job returns (recorded nowhere; useful in tests). */
export type FlowRunJobResult =
  | { status: "success"; runId: string }
  | { status: "skipped"; reason: "already_running" | "disabled"; activeRunId: string | null };

/**
 * The flow-run job (the seed's DataFlowRunJob). Receives the flow's id (its name), finds the flow
 * record, resolves the definition by name, then:
 *   run `pending` (created by the trigger, by the failed previous attempt, or here for a
 *   scheduled run) → `in_progress` with `started_at` → `run(ctx)` → `success`, or `failed` with
 *   the error's message and stack (and the flow's `last_run_status = failed`); `ended_at` and the
 *   duration always. The error is re-thrown so the job's retry policy applies; when the job will
 *   run again, its next run is created `pending` in the same transaction, so the flow stays taken.
 * A scheduled run that finds the flow running or disabled records nothing and succeeds (`flow:skip`).
 */
export function createFlowRunJob(deps: FlowRunJobDeps): JobDefinition<FlowRunPayload> {
  const { store, events, now } = deps;

  return defineJob<FlowRunPayload>(FLOW_RUN_JOB, async (payload, ctx): Promise<FlowRunJobResult> => {
    const name = payload?.flow;
    if (typeof name !== "string") {
      throw new TypeError(`${FLOW_RUN_JOB} needs a payload { flow: string }, got ${JSON.stringify(payload)}`);
    }
    const source: TriggerSource = isTriggerSource(payload.source) ? payload.source : "manual";
    const record = await store.queries.getFlow(name);
    if (!record) throw new UnknownFlowError(name, []);

    const claim = await store.flows.claimRun({
      flow: name,
      jobId: ctx.jobId,
      attempt: ctx.attempt,
      source,
      requireEnabled: source === "schedule",
      now: now(),
    });
    if (claim.status === "claimed" || claim.status === "already_running")
      emitAbandoned(events, claim.abandoned);
    if (claim.status === "not_found") throw new UnknownFlowError(name, []);
    if (claim.status !== "claimed") {
      const active = claim.status === "already_running" ? claim.run : null;
      events.emit("flow:skip", {
        flow: name,
        source,
        reason: claim.status,
        activeRunId: active?.id ?? null,
        activeStartedAt: active?.startedAt ?? null,
        jobId: ctx.jobId,
      });
      return { status: "skipped", reason: claim.status, activeRunId: active?.id ?? null };
    }
    if (claim.created) emitEnqueue(events, claim.run, ctx.queue);

    const run = await store.flows.startRun(claim.run.id, now());
    if (!run) throw new Error(`flow "${name}" run ${claim.run.id} is no longer pending; the job runs again`);
    events.emit("flow:start", {
      flow: name,
      runId: run.id,
      jobId: ctx.jobId,
      source: run.source,
      attempt: run.attempt,
      status: "in_progress",
      startedAt: run.startedAt!,
      durationMs: null,
    });

    try {
      const definition = deps.definition(name);
      if (!definition) {
        throw new Error(
          `flow "${name}" is not defined in this process: load its file in every worker (flows folder or createTickflow({ flows }))`,
        );
      }
      await untilAborted(
        Promise.resolve().then(() => definition.run(flowContext(name, run, ctx))),
        ctx.signal,
      );
    } catch (thrown) {
      const error = toError(thrown);
      const retry = willRetry(ctx.attempt, ctx.maxAttempts) ? { attempt: ctx.attempt + 1 } : null;
      const finished = await store.flows.finishRun({
        runId: run.id,
        status: "failed",
        endedAt: now(),
        error: { message: error.message, stack: error.stack ?? null },
        retry,
      });
      if (finished.run) emitFinish(events, finished.run, error, finished.next !== null);
      if (finished.next) emitEnqueue(events, finished.next, ctx.queue);
      throw error;
    }
    const finished = await store.flows.finishRun({
      runId: run.id,
      status: "success",
      endedAt: now(),
      error: null,
      retry: null,
    });
    if (finished.run) emitFinish(events, finished.run, null, false);
    return { status: "success", runId: run.id };
  });
}

function flowContext(name: string, run: FlowRunRow, ctx: JobContext): FlowContext {
  let logger: FlowContext["logger"] | undefined;
  return {
    flow: name,
    runId: run.id,
    jobId: ctx.jobId,
    attempt: ctx.attempt,
    maxAttempts: ctx.maxAttempts,
    source: run.source,
    signal: ctx.signal,
    scheduledFor: ctx.scheduledFor,
    get logger() {
      logger ??= ctx.logger.child({ flow: name, flowRunId: run.id });
      return logger;
    },
  };
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (timeout, shutdown). */
function untilAborted(work: Promise<unknown>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.reject(toError(signal.reason));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(toError(signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === "string" ? value : `non-error thrown: ${String(value)}`);
}
