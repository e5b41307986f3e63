import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { JOB_STATES } from "../../core/job-state.ts";
import { isValidName } from "../../core/names.ts";
import type { Rates } from "../../core/rollup.ts";
import { countTicks, type TickView, tickDecision } from "../../core/tick-vocabulary.ts";
import { NotFoundError } from "../../errors.ts";
import type { JobRow, ScheduleRow, TickRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";
import { registerFlowRoutes } from "./flows.ts";
import { registerLimitRoutes } from "./limits.ts";
import { registerMonitorRoutes } from "./monitors.ts";
import { openApiDocument } from "./openapi.ts";

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
const tickQuery = z.strictObject({
  limit,
  since: z.iso.datetime({ offset: true }).optional(),
  /** The cursor: ticks with a nominal time before this (ISO), from a previous page's nextCursor. */
  cursor: z.iso.datetime({ offset: true }).optional(),
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

function scheduleView(s: ScheduleRow & { lastTick?: TickRow | null }) {
  return {
    key: s.id,
    job: s.jobType,
    trigger: s.trigger,
    misfire: s.misfire,
    overlap: s.overlap,
    paused: s.paused,
    state: s.broken !== null ? "broken" : s.paused ? "paused" : "active",
    broken: s.broken,
    brokenAt: iso(s.brokenAt),
    nextFireAt: iso(s.nextFireAt),
    lastFireAt: iso(s.lastFireAt),
    lastTick: s.lastTick ? tickView(s.lastTick) : null,
  };
}

function tickView(t: TickRow) {
  return {
    nominalAt: iso(t.nominalAt),
    decision: tickDecision(t.decision, t.reason),
    reason: t.reason,
    decidedAt: iso(t.decidedAt),
    jobId: t.jobId,
    startedAt: iso(t.startedAt),
    latenessMs: t.startedAt === null ? null : t.startedAt - t.nominalAt,
  };
}

/** A tick in the one vocabulary (core/tick-vocabulary): decision and outcome, two fields. */
function tickOutcomeView(t: TickView & { decidedAt: number }) {
  return {
    nominalAt: iso(t.nominalAt),
    decision: t.decision,
    reason: t.reason,
    outcome: t.outcome,
    late: t.late,
    mark: t.mark,
    decidedAt: iso(t.decidedAt),
    jobId: t.jobId,
    latenessMs: t.latenessMs,
    durationMs: t.durationMs,
  };
}

function ratesView(r: Rates) {
  return {
    successRate: r.successRate,
    onTimeRate: r.onTimeRate,
    counts: r.counts,
    latencyMs: { p50: r.latencyP50, p95: r.latencyP95, max: r.latencyMax },
    durationMs: { p50: r.durationP50, p95: r.durationP95, max: r.durationMax },
  };
}

/** REST under /api/v1 (JSON; every route needs the bearer token). */
export function registerApiRoutes(api: FastifyInstance, deps: HttpDeps): void {
  const { tickflow, heartbeat } = deps;
  const params = (input: unknown) => parseInput(z.object({ id }), input, "path");
  const keyParam = (input: unknown) => parseInput(z.object({ key: name("schedule key") }), input, "path");

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

  api.get("/schedules", async () => {
    const reports = await tickflow.liveness.scheduleReports({ ticks: 30 });
    return {
      schedules: reports.map((r) => ({
        ...scheduleView({ ...r.schedule, lastTick: null }),
        health: r.health,
        counts: countTicks(r.ticks),
        lastTick: r.ticks[0] ? tickOutcomeView(r.ticks[0]) : null,
      })),
    };
  });

  api.get("/schedules/:key", async (request) => {
    const { key } = keyParam(request.params);
    const [report] = await tickflow.liveness.scheduleReports({ scheduleId: key, ticks: 30 });
    if (!report) throw new NotFoundError(`schedule "${key}"`);
    const rates = (await tickflow.liveness.scheduleRates([key])).get(key)!;
    return {
      schedule: scheduleView({ ...report.schedule, lastTick: null }),
      health: report.health,
      counts: countTicks(report.ticks),
      recentTicks: report.ticks.map(tickOutcomeView),
      rates: { "24h": ratesView(rates["24h"]), "7d": ratesView(rates["7d"]), "90d": ratesView(rates["90d"]) },
      next: (await tickflow.previewRuns(key, 5)).map((d) => d.toISOString()),
    };
  });

  api.get("/schedules/:key/ticks", async (request) => {
    const { key } = keyParam(request.params);
    const q = parseInput(tickQuery, request.query, "query");
    if (!(await tickflow.queries.getSchedule(key))) throw new NotFoundError(`schedule "${key}"`);
    const since = q.since === undefined ? undefined : Date.parse(q.since);
    const before = q.cursor === undefined ? undefined : Date.parse(q.cursor);
    const page = await tickflow.liveness.tickPage(key, { limit: q.limit, since, before });
    return {
      ticks: page.ticks.map(tickOutcomeView),
      nextCursor: page.nextBefore === null ? null : iso(page.nextBefore),
    };
  });

  api.post("/schedules/:key/pause", async (request) => ({
    schedule: scheduleView(await tickflow.pauseSchedule(keyParam(request.params).key)),
  }));
  api.post("/schedules/:key/resume", async (request) => ({
    schedule: scheduleView(await tickflow.resumeSchedule(keyParam(request.params).key)),
  }));

  registerFlowRoutes(api, deps);
  registerMonitorRoutes(api, deps);
  registerLimitRoutes(api, deps);

  api.get("/heartbeat", async () => {
    if (!heartbeat?.enabled) return { enabled: false };
    return { enabled: true, ...(await heartbeat.status()) };
  });
}
