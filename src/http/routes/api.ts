import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { JOB_STATES } from "../../core/job-state.ts";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { JobRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";
import { registerAlertRoutes } from "./alerts.ts";
import { registerFlowRoutes } from "./flows.ts";
import { registerLimitRoutes } from "./limits.ts";
import { registerMonitorRoutes } from "./monitors.ts";
import { openApiDocument } from "./openapi.ts";
import { registerScheduleRoutes } from "./schedules.ts";

/** An ISO time, or null for none — and for a stored time past what a Date can show (marked undecodable). */
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !representable(ms) ? null : new Date(ms).toISOString();
const representable = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;

/** What of a job row cannot be shown: an unreadable payload, or times no Date can hold. */
function undecodable(job: JobRow): string | null {
  const problems = job.undecodable === null ? [] : [job.undecodable];
  const times = { runAt: job.runAt, createdAt: job.createdAt, finishedAt: job.finishedAt };
  for (const [field, ms] of Object.entries(times))
    if (ms !== null && !representable(ms)) problems.push(`the stored ${field} (${ms}) is not a valid time`);
  return problems.length > 0 ? problems.join("; ") : null;
}
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

export function jobView(job: JobRow) {
  return {
    id: job.id,
    type: job.type,
    queue: job.queue,
    state: job.state,
    payload: job.payload,
    priority: job.priority,
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    runAt: iso(job.runAt),
    key: job.key,
    concurrencyKey: job.concurrencyKey,
    scheduleId: job.scheduleId,
    scheduledFor: iso(job.nominalAt),
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: iso(job.leaseExpiresAt),
    lastError: job.lastError,
    createdAt: iso(job.createdAt),
    finishedAt: iso(job.finishedAt),
    undecodable: undecodable(job),
  };
}

/** REST under /api/v1 (JSON; every route needs the bearer token). */
export function registerApiRoutes(api: FastifyInstance, deps: HttpDeps): void {
  const { tickflow, heartbeat } = deps;
  const params = (input: unknown) => parseInput(z.object({ id }), input, "path");

  api.get("/openapi.json", async () => openApiDocument());

  api.get("/queues", async () => {
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

  api.get("/jobs", async (request) => {
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

  api.get("/jobs/:id", async (request) => {
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

  api.post("/jobs/:id/retry", async (request) => ({
    job: jobView(await tickflow.retryJob(params(request.params).id)),
  }));
  api.post("/jobs/:id/cancel", async (request) => ({
    job: jobView(await tickflow.cancelJob(params(request.params).id)),
  }));

  registerScheduleRoutes(api, deps);

  registerFlowRoutes(api, deps);
  registerMonitorRoutes(api, deps);
  registerAlertRoutes(api, deps);
  registerLimitRoutes(api, deps);

  api.get("/heartbeat", async () => {
    if (!heartbeat?.enabled) return { enabled: false };
    return { enabled: true, ...(await heartbeat.status()) };
  });
}
