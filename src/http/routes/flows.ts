import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { FLOW_RUN_STATUSES, TRIGGER_SOURCES } from "../../core/flow-run-state.ts";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { FlowStatus } from "../../flows/flow-service.ts";
import type { FlowRunRow } from "../../store/ports/rows.ts";
import { Flow, FlowRun, page } from "../api-schemas.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
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

const runParams = z.object({ id: z.string().regex(/^\d{1,18}$/, { message: "must be a numeric id" }) });
const flowAnswer = z.object({ flow: Flow });

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

  const flows = doc({
    summary: "Data flows with last status, next run and run statistics",
    responses: { 200: z.object({ flows: z.array(Flow) }) },
  });
  api.get("/flows", flows, async () => ({ flows: (await tickflow.flows.list()).map(flowView) }));

  const flow = doc({
    summary: "One flow with its recent runs",
    params: flowName,
    responses: { 200: z.object({ flow: Flow, recentRuns: z.array(FlowRun) }) },
  });
  api.get("/flows/:name", flow, async (request) => {
    const name = nameOf(request.params);
    const flow = await tickflow.flows.get(name);
    if (!flow) throw new NotFoundError(`flow "${name}"`);
    const recent = await tickflow.flows.runs({ flow: name, limit: 20 });
    return { flow: flowView(flow), recentRuns: recent.map(runView) };
  });

  const trigger = doc({
    summary: "Trigger a flow now (202; 409 while a run is active)",
    params: flowName,
    responses: {
      202: z.object({ flow: z.string(), runId: z.string(), jobId: z.string(), queue: z.string() }),
    },
  });
  api.post("/flows/:name/trigger", trigger, async (request, reply) => {
    const answer = await tickflow.flows.trigger(nameOf(request.params), { source: "api" });
    reply.code(202);
    return { flow: answer.flow, runId: answer.runId, jobId: answer.jobId, queue: answer.queue };
  });

  const enable = doc({ summary: "Enable a flow", params: flowName, responses: { 200: flowAnswer } });
  api.post("/flows/:name/enable", enable, async (request) => {
    await tickflow.flows.enable(nameOf(request.params));
    return { flow: flowView((await tickflow.flows.get(nameOf(request.params)))!) };
  });

  const disable = doc({
    summary: "Disable a flow (pauses its schedule)",
    params: flowName,
    responses: { 200: flowAnswer },
  });
  api.post("/flows/:name/disable", disable, async (request) => {
    await tickflow.flows.disable(nameOf(request.params));
    return { flow: flowView((await tickflow.flows.get(nameOf(request.params)))!) };
  });

  const runs = doc({
    summary: "Flow runs, newest first",
    query: runQuery,
    responses: { 200: page("runs", FlowRun) },
  });
  api.get("/runs", runs, async (request) => {
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

  const run = doc({
    summary: "One flow run with its error and stack",
    params: runParams,
    responses: { 200: z.object({ run: FlowRun }) },
  });
  api.get("/runs/:id", run, async (request) => {
    const { id } = parseInput(runParams, request.params, "path");
    const run = await tickflow.flows.run(id);
    if (!run) throw new NotFoundError(`flow run ${id}`);
    return { run: runView(run) };
  });
}
