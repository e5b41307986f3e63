import { formatDuration } from "../core/duration.ts";
import type { TickflowEvents } from "../events.ts";
import type { Logger } from "../logger.ts";

/**
 * Flow events → log lines. Flow runs are the work operators watch, so their start and end are
 * `info` (jobs log theirs at `debug`); a failed run is an `error` with its stack; a refused trigger
 * a `warn`; a flow that disappeared from the code a `warn` at startup.
 */
export function subscribeFlowLogs(events: TickflowEvents, logger: Logger): () => void {
  const offs = [
    events.on("flow:enqueue", (e) =>
      logger.debug(
        {
          flow: e.flow,
          flowRunId: e.runId,
          jobId: e.jobId,
          queue: e.queue,
          source: e.source,
          attempt: e.attempt,
        },
        `flow ${e.flow} run #${e.runId} enqueued on queue ${e.queue} (${e.source}, attempt ${e.attempt})`,
      ),
    ),
    events.on("flow:start", (e) =>
      logger.info(
        { flow: e.flow, flowRunId: e.runId, jobId: e.jobId, source: e.source, attempt: e.attempt },
        `flow ${e.flow} run #${e.runId} started (attempt ${e.attempt})`,
      ),
    ),
    events.on("flow:finish", (e) => {
      const fields = {
        flow: e.flow,
        flowRunId: e.runId,
        jobId: e.jobId,
        source: e.source,
        attempt: e.attempt,
        status: e.status,
        durationMs: e.durationMs,
      };
      const took = e.durationMs === null ? "" : ` after ${formatDuration(e.durationMs)}`;
      if (e.status === "success") {
        logger.info(fields, `flow ${e.flow} run #${e.runId} succeeded${took}`);
        return;
      }
      const next = e.willRetry ? "; it will be retried" : "";
      const what = e.abandoned ? "was abandoned" : "failed";
      logger.error(
        { ...fields, err: e.error, abandoned: e.abandoned, willRetry: e.willRetry },
        `flow ${e.flow} run #${e.runId} ${what}${took} (attempt ${e.attempt})${next}: ${e.error?.message ?? "unknown error"}`,
      );
    }),
    events.on("flow:skip", (e) => {
      // Two drivers (scheduler and heartbeat) reaching one period is the design, not a problem.
      if (e.reason === "period_taken") {
        logger.debug(
          { flow: e.flow, source: e.source, reason: e.reason },
          `flow ${e.flow} not run (${e.source}): this period already ran`,
        );
        return;
      }
      const why =
        e.reason === "disabled"
          ? "the flow is disabled"
          : `run #${e.activeRunId} is ${e.activeStartedAt === null ? "pending" : `in progress since ${new Date(e.activeStartedAt).toISOString()}`}`;
      logger.warn(
        { flow: e.flow, source: e.source, reason: e.reason, activeRunId: e.activeRunId, jobId: e.jobId },
        `flow ${e.flow} not run (${e.source}): ${why}`,
      );
    }),
    events.on("flow:sync", (e) => {
      if (e.created.length) logger.info({ flows: e.created }, "flows created");
      if (e.updated.length) logger.info({ flows: e.updated }, "flows updated");
      if (e.restored.length) logger.info({ flows: e.restored }, "flows restored (defined again)");
      if (e.removed.length) {
        logger.warn(
          { flows: e.removed },
          `flows no longer defined in the code, marked removed (their runs are kept): ${e.removed.join(", ")}`,
        );
      }
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
