import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import type { Rates } from "../../core/rollup.ts";
import { countTicks, type TickView, tickDecision } from "../../core/tick-vocabulary.ts";
import { NotFoundError } from "../../errors.ts";
import type { ScheduleFilter, ScheduleRow, TickRow } from "../../store/ports/rows.ts";
import { Schedule, Tick } from "../api-schemas.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
import { parseInput } from "../validate.ts";

const representable = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !representable(ms) ? null : new Date(ms).toISOString();
const name = (what: string) => z.string().refine(isValidName, { message: `not a valid ${what} name` });
const limit = z.coerce.number().int().min(1).max(500).default(50);
const tickQuery = z.strictObject({
  limit,
  since: z.iso.datetime({ offset: true }).optional(),
  /** The cursor: ticks with a nominal time before this (ISO), from a previous page's nextCursor. */
  cursor: z.iso.datetime({ offset: true }).optional(),
});
const text = z.string().min(1).max(200);

/** `?source=runtime&owner=…&tenant=…&label=tier:gold` (label repeatable: every pair must match). */
const listQuery = z.strictObject({
  source: z.enum(["code", "runtime"]).optional(),
  owner: text.optional(),
  tenant: text.optional(),
  label: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}:.{1,200}$/, { message: "use name:value" })))
    .optional(),
});

const duration = z.union([z.string().min(1).max(64), z.number()]);
/**
 * The body of PUT /schedules/:key: what `tickflow.schedules.upsert` takes, the key aside. Shapes
 * are checked here; the rest (cron syntax, time zone, job type, policies) exactly as defineSchedule.
 */
const upsertBody = z.strictObject({
  job: z.string().min(1).max(200),
  payload: z.unknown().optional(),
  cron: z.string().min(1).max(200).optional(),
  timezone: z.string().min(1).max(64).optional(),
  every: duration.optional(),
  at: z.union([z.string().min(1).max(64), z.number()]).optional(),
  misfire: z.string().optional(),
  overlap: z.string().optional(),
  grace: duration.optional(),
  tolerance: duration.optional(),
  queue: name("queue").optional(),
  priority: z.number().int().optional(),
  maxAttempts: z.number().int().optional(),
  timeout: duration.optional(),
  backoff: z.unknown().optional(),
  owner: text.optional(),
  tenant: text.optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export function scheduleView(s: ScheduleRow & { lastTick?: TickRow | null }) {
  return {
    key: s.id,
    source: s.source,
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
    owner: s.owner,
    tenant: s.tenant,
    labels: s.labels,
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

/** A listing filter from query parameters (the API's and the dashboard's). */
export function scheduleFilter(query: unknown): ScheduleFilter {
  const q = parseInput(listQuery, query, "query");
  const labels = Object.fromEntries(
    (q.label ?? []).map((pair) => [pair.slice(0, pair.indexOf(":")), pair.slice(pair.indexOf(":") + 1)]),
  );
  return { source: q.source, owner: q.owner, tenant: q.tenant, labels };
}

/** /api/v1/schedules: list, read, ticks, pause/resume, and runtime schedules' PUT and DELETE. */
const keyParams = z.object({ key: name("schedule key") });
const scheduleAnswer = z.object({ schedule: Schedule });
const listDoc = doc({
  summary: "Stored schedules with health, tick counts and last tick (filters: source, owner, tenant, label)",
  query: listQuery,
  responses: { 200: z.object({ schedules: z.array(Schedule) }) },
});
const reportDoc = doc({
  summary: "One schedule: health, recent ticks, rates over 24 h / 7 d / 90 d, next fire times",
  params: keyParams,
  responses: {
    200: z.looseObject({ schedule: Schedule, recentTicks: z.array(Tick), next: z.array(z.iso.datetime()) }),
  },
});
const ticksDoc = doc({
  summary: "A page of tick decisions and outcomes, newest first (cursor: nextCursor)",
  params: keyParams,
  query: tickQuery,
  responses: { 200: z.object({ ticks: z.array(Tick), nextCursor: z.iso.datetime().nullable() }) },
});
const pauseDoc = doc({ summary: "Pause a schedule", params: keyParams, responses: { 200: scheduleAnswer } });
const resumeDoc = doc({
  summary: "Resume a schedule",
  params: keyParams,
  responses: { 200: scheduleAnswer },
});
const upsertAnswer = z.object({
  schedule: Schedule,
  status: z.enum(["created", "updated", "unchanged"]),
  changed: z.array(z.string()).describe("the fields that changed; empty when created or unchanged"),
});
const upsertDoc = doc({
  summary: "Create or update a runtime schedule (201 created, 200 updated)",
  params: keyParams,
  body: upsertBody,
  responses: { 200: upsertAnswer, 201: upsertAnswer },
});
const removeDoc = doc({
  summary: "Remove a runtime schedule",
  params: keyParams,
  responses: { 200: z.object({ removed: z.string() }) },
});

export function registerScheduleRoutes(api: FastifyInstance, deps: HttpDeps): void {
  const { tickflow } = deps;
  const keyParam = (input: unknown) => parseInput(keyParams, input, "path");

  api.get("/schedules", listDoc, async (request) => {
    const filter = scheduleFilter(request.query);
    const reports = await tickflow.liveness.scheduleReports({ ticks: 30, filter });
    return {
      schedules: reports.map((r) => ({
        ...scheduleView({ ...r.schedule, lastTick: null }),
        health: r.health,
        counts: countTicks(r.ticks),
        lastTick: r.ticks[0] ? tickOutcomeView(r.ticks[0]) : null,
      })),
    };
  });

  api.get("/schedules/:key", reportDoc, async (request) => {
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

  api.get("/schedules/:key/ticks", ticksDoc, async (request) => {
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

  api.post("/schedules/:key/pause", pauseDoc, async (request) => ({
    schedule: scheduleView(await tickflow.pauseSchedule(keyParam(request.params).key)),
  }));
  api.post("/schedules/:key/resume", resumeDoc, async (request) => ({
    schedule: scheduleView(await tickflow.resumeSchedule(keyParam(request.params).key)),
  }));

  api.put("/schedules/:key", upsertDoc, async (request, reply) => {
    const { key } = keyParam(request.params);
    const body = parseInput(upsertBody, request.body, "body");
    const result = await tickflow.schedules.upsert({ key, ...body } as Parameters<
      typeof tickflow.schedules.upsert
    >[0]);
    reply.code(result.status === "created" ? 201 : 200);
    return { schedule: scheduleView(result.schedule), status: result.status, changed: result.changed };
  });

  api.delete("/schedules/:key", removeDoc, async (request) => {
    const { key } = keyParam(request.params);
    await tickflow.schedules.remove(key);
    return { removed: key };
  });
}
