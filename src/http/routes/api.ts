import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { JOB_STATES } from "../../core/job-state.ts";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import { Attempt, HeartbeatStatus, Job, page, Queue } from "../api-schemas.ts";
import type { HttpDeps } from "../deps.ts";
import { collectRoutes, doc, openApiDocument } from "../openapi.ts";
import { parseInput } from "../validate.ts";
import { registerAlertRoutes } from "./alerts.ts";
import { registerEnqueueRoute } from "./enqueue.ts";
import { registerFlowRoutes } from "./flows.ts";
import { iso, jobView } from "./jobs-view.ts";
import { registerLimitRoutes } from "./limits.ts";
import { registerMonitorRoutes } from "./monitors.ts";
import { registerQueueRoutes } from "./queues.ts";
import { registerScheduleRoutes } from "./schedules.ts";

const name = (what: string) => z.string().refine(isValidName, { message: `not a valid ${what} name` });
const limit = z.coerce.number().int().min(1).max(500).default(50);
const id = z.string().regex(/^\d{1,18}$/, { message: "must be a numeric id" });

const jobQuery = z.strictObject({
  queue: name("queue").optional(),
  state: z
    .string()
    .transform((s) => s.split(","))
    .pipe(z.array(z.enum(JOB_STATES)))
    .optional(),
  type: z.string().min(1).max(64).optional(),
  limit,
  cursor: id.optional(),
});

const idParams = z.object({ id });
const jobAnswer = z.object({ job: Job });

/** The routes' OpenAPI descriptions (openapi.ts builds openapi.json from them). */
const queuesDoc = doc({
  summary: "Job counts by queue and state, with the oldest waiting job's age",
  responses: { 200: z.object({ queues: z.array(Queue) }) },
});
const jobsDoc = doc({
  summary: "List jobs, newest first",
  query: jobQuery,
  responses: { 200: page("jobs", Job) },
});
const jobDoc = doc({
  summary: "A job with every attempt",
  params: idParams,
  responses: { 200: z.object({ job: Job, attempts: z.array(Attempt) }) },
});
const retryDoc = doc({
  summary: "Make a discarded, cancelled or waiting job available now",
  params: idParams,
  responses: { 200: jobAnswer },
});
const cancelDoc = doc({
  summary: "Cancel a pending or running job",
  params: idParams,
  responses: { 200: jobAnswer },
});
const heartbeatDoc = doc({
  summary: "Heartbeat pair health with measured delays",
  responses: { 200: HeartbeatStatus },
});

/** REST under /api/v1 (JSON; every route needs the bearer token). */
export function registerApiRoutes(api: FastifyInstance, deps: HttpDeps): void {
  const { tickflow, heartbeat } = deps;
  const params = (input: unknown) => parseInput(idParams, input, "path");
  const routes = collectRoutes(api);

  api.get("/openapi.json", async () => openApiDocument(routes, api.prefix));

  api.get("/queues", queuesDoc, async () => {
    const now = tickflow.now();
    const queues = new Map<
      string,
      { queue: string; counts: Record<string, number>; oldestWaitingSeconds: number | null }
    >();
    for (const c of await tickflow.queueCounts()) {
      const q = queues.get(c.queue) ?? { queue: c.queue, counts: {}, oldestWaitingSeconds: null };
      q.counts[c.state] = c.count;
      if (c.state === "available" && c.oldestRunAt !== null)
        q.oldestWaitingSeconds = (now - c.oldestRunAt) / 1_000;
      queues.set(c.queue, q);
    }
    return { queues: [...queues.values()] };
  });

  api.get("/jobs", jobsDoc, async (request) => {
    const q = parseInput(jobQuery, request.query, "query");
    const jobs = await tickflow.queries.listJobs({
      queue: q.queue,
      states: q.state,
      type: q.type,
      limit: q.limit + 1,
      beforeId: q.cursor,
    });
    const page = jobs.slice(0, q.limit);
    return { jobs: page.map(jobView), nextCursor: jobs.length > q.limit ? page.at(-1)!.id : null };
  });

  api.get("/jobs/:id", jobDoc, async (request) => {
    const { id: jobId } = params(request.params);
    const job = await tickflow.getJob(jobId);
    if (!job) throw new NotFoundError(`job ${jobId}`);
    const attempts = (await tickflow.listJobRuns(jobId)).map((r) => ({
      attempt: r.attempt,
      workerId: r.workerId,
      startedAt: iso(r.startedAt),
      endedAt: iso(r.endedAt),
      durationMs: r.durationMs,
      outcome: r.outcome,
      errorMessage: r.errorMessage,
      errorStack: r.errorStack,
    }));
    return { job: jobView(job), attempts };
  });

  api.post("/jobs/:id/retry", retryDoc, async (request) => ({
    job: jobView(await tickflow.retryJob(params(request.params).id)),
  }));
  api.post("/jobs/:id/cancel", cancelDoc, async (request) => ({
    job: jobView(await tickflow.cancelJob(params(request.params).id)),
  }));

  registerEnqueueRoute(api, deps);
  registerQueueRoutes(api, deps);
  registerScheduleRoutes(api, deps);

  registerFlowRoutes(api, deps);
  registerMonitorRoutes(api, deps);
  registerAlertRoutes(api, deps);
  registerLimitRoutes(api, deps);

  api.get("/heartbeat", heartbeatDoc, async () => {
    if (!heartbeat?.enabled) return { enabled: false };
    return { enabled: true, ...(await heartbeat.status()) };
  });
}
