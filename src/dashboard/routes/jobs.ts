import type { FastifyInstance } from "fastify";
import { JOB_STATES, type JobState } from "../../core/job-state.ts";
import { isValidName } from "../../core/names.ts";
import { TickflowError } from "../../errors.ts";
import { queueSummaries } from "../data.ts";
import { BASE } from "../layout.ts";
import { jobBody, jobsBody } from "../pages/jobs.ts";
import { registerAction, required } from "./actions.ts";
import { cursorParam, type DashboardContext, ID, open, PAGE_SIZE, render, sendError } from "./context.ts";

/** The job list (by queue and state), a job's page with its attempts, and retry / cancel. */
export function registerJobRoutes(dash: FastifyInstance, { tickflow, logger }: DashboardContext): void {
  dash.get("/jobs", open, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const queue = typeof query.queue === "string" && isValidName(query.queue) ? query.queue : undefined;
    const state =
      typeof query.state === "string" && (JOB_STATES as readonly string[]).includes(query.state)
        ? (query.state as JobState)
        : undefined;
    const before = cursorParam(request);
    const now = tickflow.now();
    const [queues, rows] = await Promise.all([
      queueSummaries(tickflow, now),
      tickflow.queries.listJobs({
        queue,
        states: state ? [state] : undefined,
        beforeId: before ?? undefined,
        limit: PAGE_SIZE + 1,
      }),
    ]);
    const jobs = rows.slice(0, PAGE_SIZE);
    const nextCursor = rows.length > PAGE_SIZE ? jobs.at(-1)!.id : null;
    return render(
      request,
      reply,
      "jobs",
      "Jobs",
      jobsBody({ queues, queue, state, jobs, before, nextCursor, now }),
      now,
    );
  });

  dash.get("/jobs/:id", open, async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const job = ID.test(id) ? await tickflow.getJob(id) : null;
    if (!job) return sendError(reply, 404, `No job #${id}.`);
    const runs = await tickflow.listJobRuns(id);
    const now = tickflow.now();
    return render(
      request,
      reply,
      "jobs",
      `Job #${id}`,
      jobBody(job, runs, now, request.dashboardSession!),
      now,
    );
  });

  const jobId = (p: Record<string, string>) => required(p, "id", (id) => ID.test(id), "job");
  const toJob = (p: Record<string, string>) =>
    ID.test(p.id ?? "") ? `${BASE}/jobs/${p.id}` : `${BASE}/jobs`;
  registerAction(
    dash,
    logger,
    "/jobs/:id/retry",
    async (p) => {
      const job = await tickflow.retryJob(jobId(p));
      // The store leaves a job it cannot retry (running, succeeded) as it is: say so.
      if (job.state !== "available") {
        throw new TickflowError("INVALID_TRANSITION", `Job #${job.id} is ${job.state}: nothing to retry.`);
      }
      return { to: toJob(p), text: `Job #${job.id} will run again now.` };
    },
    toJob,
  );
  registerAction(
    dash,
    logger,
    "/jobs/:id/cancel",
    async (p) => {
      const job = await tickflow.cancelJob(jobId(p));
      if (job.state !== "cancelled") {
        throw new TickflowError("INVALID_TRANSITION", `Job #${job.id} is ${job.state}: nothing to cancel.`);
      }
      return { to: toJob(p), text: `Job #${job.id} is cancelled.` };
    },
    toJob,
  );
}
