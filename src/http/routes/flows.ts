import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { FLOW_RUN_STATUSES, TRIGGER_SOURCES } from "../../core/flow-run-state.ts";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { FlowStatus } from "../../flows/flow-service.ts";
import type { FlowRunRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
import { parseInput } from "../validate.ts";

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();
const flowName = z.object({ name: z.string().refine(isValidName, { message: "not a valid flow name" }) });
const runQuery = z.strictObject({
  flow: z.string().refine(isValidName, { message: "not a valid flow name" }).optional(),
  status: z.enum(FLOW_RUN_STATUSES).optional(),
  source: z.enum(TRIGGER_SOURCES).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, { message: "must be a numeric id" })
    .optional(),
});

export function flowView(flow: FlowStatus) {
  return {
    name: flow.name,
    enabled: flow.enabled,
    schedule: flow.schedule,
    queue: flow.queue,
    retries: flow.retries,
    lastRunAt: iso(flow.lastRunAt),
    lastRunStatus: flow.lastRunStatus,
    nextRunAt: iso(flow.nextRunAt),
    activeRun: flow.activeRun ? runView(flow.activeRun) : null,
    stats: flow.stats,
    defined: flow.defined,
    removedAt: iso(flow.removedAt),
  };
}

export function runView(run: FlowRunRow) {
  return {
    id: run.id,
    flow: run.flow,
    status: run.status,
    source: run.source,
    attempt: run.attempt,
    jobId: run.jobId,
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    durationMs: run.durationMs,
    errorMessage: run.errorMessage,
    errorStack: run.errorStack,
  };
}

/** Flows and their runs under /api/v1. */
export function registerFlowRoutes(api: FastifyInstance, { tickflow }: HttpDeps): void {
  const nameOf = (params: unknown) => parseInput(flowName, params, "path").name;

  api.get("/flows", async () => ({ flows: (await tickflow.flows.list()).map(flowView) }));

  api.get("/flows/:name", async (request) => {
    const name = nameOf(request.params);
    const flow = await tickflow.flows.get(name);
    if (!flow) throw new NotFoundError(`flow "${name}"`);
    const recent = await tickflow.flows.runs({ flow: name, limit: 20 });
    return { flow: flowView(flow), recentRuns: recent.map(runView) };
  });

  api.post("/flows/:name/trigger", async (request, reply) => {
    const answer = await tickflow.flows.trigger(nameOf(request.params), { source: "api" });
    reply.code(202);
    return { flow: answer.flow, runId: answer.runId, jobId: answer.jobId, queue: answer.queue };
  });

  api.post("/flows/:name/enable", async (request) => {
    await tickflow.flows.enable(nameOf(request.params));
    return { flow: flowView((await tickflow.flows.get(nameOf(request.params)))!) };
  });

  api.post("/flows/:name/disable", async (request) => {
    await tickflow.flows.disable(nameOf(request.params));
    return { flow: flowView((await tickflow.flows.get(nameOf(request.params)))!) };
  });

  api.get("/runs", async (request) => {
    const q = parseInput(runQuery, request.query, "query");
    const since = q.since === undefined ? undefined : Date.parse(q.since);
    const until = q.until === undefined ? undefined : Date.parse(q.until);
    // Time filters apply to creation time, in the query: a page is the newest `limit` matching
    // runs below the cursor, however many newer runs do not match.
    const runs = await tickflow.flows.runs({
      flow: q.flow,
      status: q.status,
      source: q.source,
      beforeId: q.cursor,
      createdSince: since,
      createdUntil: until,
      limit: q.limit + 1,
    });
    const pageRuns = runs.slice(0, q.limit);
    return { runs: pageRuns.map(runView), nextCursor: runs.length > q.limit ? pageRuns.at(-1)!.id : null };
  });

  api.get("/runs/:id", async (request) => {
    const { id } = parseInput(
      z.object({ id: z.string().regex(/^\d{1,18}$/, { message: "must be a numeric id" }) }),
      request.params,
      "path",
    );
    const run = await tickflow.flows.run(id);
    if (!run) throw new NotFoundError(`flow run ${id}`);
    return { run: runView(run) };
  });
}
