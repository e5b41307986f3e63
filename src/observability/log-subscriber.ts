import { formatDuration } from "../core/duration.ts";
import type { TickflowEvents } from "../events.ts";
import type { Logger } from "../logger.ts";
import type { DeployDecision } from "../store/shared/schedule-deploys.ts";

/** Turns runtime events into log lines: the one place that decides what is logged and how loudly. */
export function subscribeLogs(events: TickflowEvents, logger: Logger): () => void {
  const offs = [
    events.on("job:start", (e) =>
      logger.debug({ job: e.type, jobId: e.jobId, attempt: e.attempt }, "job started"),
    ),
    events.on("job:succeed", (e) =>
      logger.debug(
        { job: e.type, jobId: e.jobId, attempt: e.attempt, durationMs: e.durationMs },
        "job succeeded",
      ),
    ),
    events.on("job:fail", (e) => {
      const next = e.retryAt === null ? "discarded" : `retry at ${new Date(e.retryAt).toISOString()}`;
      logger.error(
        {
          job: e.type,
          jobId: e.jobId,
          attempt: e.attempt,
          maxAttempts: e.maxAttempts,
          outcome: e.outcome,
          err: e.error,
        },
        `job ${e.type} #${e.jobId} ${e.outcome === "timed_out" ? "timed out" : "failed"} (attempt ${e.attempt}/${e.maxAttempts}, ${next}): ${e.error.message}`,
      );
    }),
    events.on("job:lease-lost", (e) =>
      logger.warn(
        { job: e.type, jobId: e.jobId, attempt: e.attempt },
        "job finished after its lease was lost; result not applied",
      ),
    ),
    events.on("job:rescue", (e) =>
      logger.warn({ count: e.count }, "rescued jobs whose worker stopped (lease expired)"),
    ),
    events.on("schedule:tick", (e) => {
      const fields = {
        schedule: e.scheduleId,
        nominalAt: new Date(e.nominalAt).toISOString(),
        reason: e.reason,
      };
      if (e.decision === "fired") {
        logger.debug({ ...fields, jobId: e.jobId, latenessMs: e.decidedAt - e.nominalAt }, "schedule fired");
      } else {
        // The scheduler logs one WARN summary per schedule and round (after a downtime: one line, not 30).
        const late = formatDuration(e.decidedAt - e.nominalAt);
        logger.debug(fields, `schedule ${e.scheduleId} tick ${e.decision} (${e.reason}, ${late} late)`);
      }
    }),
    events.on("schedule:broken", (e) =>
      logger.error(
        { schedule: e.scheduleId, error: e.error },
        `schedule ${e.scheduleId} is broken and set aside, the others keep firing: ${e.error} (a sync of its definition — a start or deploy — sets it right)`,
      ),
    ),
    events.on("schedule:sync", (e) => {
      if (e.created.length) logger.info({ schedules: e.created }, "schedules created");
      if (e.updated.length) logger.info({ schedules: e.updated }, "schedules updated");
      if (e.removed.length) logger.info({ schedules: e.removed }, "schedules removed (no longer defined)");
      if (e.conflicts?.length)
        logger.warn(
          { schedules: e.conflicts },
          `schedules declared in code but stored as runtime schedules, left as they are: ${e.conflicts.join(", ")} (remove the runtime ones to let the code's take over)`,
        );
      if (e.deploy) logDeploy(logger, e.deploy);
    }),
    events.on("schedule:change", (e) =>
      logger.info(
        { schedule: e.key, change: e.change, fields: e.fields },
        `runtime schedule ${e.key} ${e.change}${e.fields.length ? ` (${e.fields.join(", ")})` : ""}`,
      ),
    ),
    events.on("monitor:check", (e) => {
      const { monitor, seq, ok, durationMs, state, error } = e;
      logger.debug({ monitor, seq, ok, durationMs, state, error }, "monitor checked");
    }),
    events.on("monitor:transition", (e) => {
      const { monitor, from, to, successes, failures } = e;
      const fields = { monitor, from, to, successes, failures };
      const state = e.closedQueues.length > 0 ? "closed" : "open";
      const gates = e.gates.length === 0 ? "" : `; queues ${e.gates.join(", ")} ${state}`;
      if (to === "OFFLINE") {
        logger.warn(
          { ...fields, error: e.error, closedQueues: e.closedQueues },
          `monitor ${monitor} is OFFLINE after ${failures} consecutive failed checks (last: ${e.error})${gates}`,
        );
      } else {
        logger.info(
          fields,
          `monitor ${monitor} is ${to} after ${successes} consecutive successful checks${gates}`,
        );
      }
    }),
    events.on("event-loop:stall", (e) => {
      const types =
        e.jobTypes.length === 0 ? "no job was running" : `job types running: ${e.jobTypes.join(", ")}`;
      logger.warn(
        { blockedMs: e.blockedMs, jobTypes: e.jobTypes },
        `event loop blocked for ${formatDuration(e.blockedMs)} (${types}): timers, lease renewals and other jobs waited; health is degraded`,
      );
    }),
    events.on("worker:error", (e) =>
      logger.error({ err: e.error, where: e.where }, `internal error in ${e.where}: ${e.error.message}`),
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/** Once per start: where this code version stands (rolling deploys, see docs/runtime-schedules.md). */
function logDeploy(logger: Logger, d: DeployDecision): void {
  const fields = { codeHash: d.codeHash, codeVersion: d.version };
  if (d.role === "older") {
    logger.warn(
      { ...fields, newestHash: d.newest.codeHash, newestVersion: d.newest.version },
      `a newer code version (${d.newest.codeHash}, version ${d.newest.version}) declares the schedules: this process (code ${d.codeHash}, version ${d.version}) runs the stored schedules and creates or removes none`,
    );
  } else if (d.registered !== "same") {
    const from = d.previous ? ` (was ${d.previous.codeHash}, version ${d.previous.version})` : "";
    const why = d.registered === "takeover" ? "the newer version is gone; " : "";
    logger.info(fields, `${why}code version ${d.codeHash} is now version ${d.version}, the newest${from}`);
  }
}
