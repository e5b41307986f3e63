import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { ScheduleFilter, ScheduleRow, TickRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";

const representable = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= 8.64e15;
const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined || !representable(ms) ? null : new Date(ms).toISOString();
const name = (what: string) => z.string().refine(isValidName, { message: `not a valid ${what} name` });
const limit = z.coerce.number().int().min(1).max(500).default(50);
const tickQuery = z.strictObject({ limit, since: z.iso.datetime({ offset: true }).optional() });
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
    decision: t.decision,
    reason: t.reason,
    decidedAt: iso(t.decidedAt),
    jobId: t.jobId,
    startedAt: iso(t.startedAt),
    latenessMs: t.startedAt === null ? null : t.startedAt - t.nominalAt,
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
export function registerScheduleRoutes(api: FastifyInstance, deps: HttpDeps): void {
  const { tickflow } = deps;
  const keyParam = (input: unknown) => parseInput(z.object({ key: name("schedule key") }), input, "path");

  api.get("/schedules", async (request) => ({
    schedules: (await tickflow.schedules.list(scheduleFilter(request.query))).map(scheduleView),
  }));

  api.get("/schedules/:key", async (request) => {
    const { key } = keyParam(request.params);
    const schedule = await tickflow.schedules.get(key);
    if (!schedule) throw new NotFoundError(`schedule "${key}"`);
    return {
      schedule: scheduleView(schedule),
      next: (await tickflow.previewRuns(key, 5)).map((d) => d.toISOString()),
    };
  });

  api.get("/schedules/:key/ticks", async (request) => {
    const { key } = keyParam(request.params);
    const q = parseInput(tickQuery, request.query, "query");
    if (!(await tickflow.queries.getSchedule(key))) throw new NotFoundError(`schedule "${key}"`);
    const since = q.since === undefined ? undefined : Date.parse(q.since);
    return { ticks: (await tickflow.listTicks(key, { limit: q.limit, since })).map(tickView) };
  });

  api.post("/schedules/:key/pause", async (request) => ({
    schedule: scheduleView(await tickflow.pauseSchedule(keyParam(request.params).key)),
  }));
  api.post("/schedules/:key/resume", async (request) => ({
    schedule: scheduleView(await tickflow.resumeSchedule(keyParam(request.params).key)),
  }));

  api.put("/schedules/:key", async (request, reply) => {
    const { key } = keyParam(request.params);
    const body = parseInput(upsertBody, request.body, "body");
    const result = await tickflow.schedules.upsert({ key, ...body } as Parameters<
      typeof tickflow.schedules.upsert
    >[0]);
    reply.code(result.status === "created" ? 201 : 200);
    return { schedule: scheduleView(result.schedule), status: result.status, changed: result.changed };
  });

  api.delete("/schedules/:key", async (request) => {
    const { key } = keyParam(request.params);
    await tickflow.schedules.remove(key);
    return { removed: key };
  });
}
