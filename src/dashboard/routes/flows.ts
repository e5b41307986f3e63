import type { FastifyInstance } from "fastify";
import { isValidName } from "../../core/names.ts";
import { getFlowStatus, listFlowStatuses } from "../data.ts";
import { BASE } from "../layout.ts";
import { flowBody, flowPath, flowsBody } from "../pages/flows.ts";
import { registerAction, required } from "./actions.ts";
import {
  cursorParam,
  type DashboardContext,
  nameParam,
  open,
  PAGE_SIZE,
  render,
  sendError,
} from "./context.ts";

/** The flow list, a flow's page with its runs, and its actions (trigger, enable, disable). */
export function registerFlowRoutes(dash: FastifyInstance, { tickflow, logger }: DashboardContext): void {
  dash.get("/flows", open, async (request, reply) => {
    const now = tickflow.now();
    return render(request, reply, "flows", "Flows", flowsBody(await listFlowStatuses(tickflow), now), now);
  });

  dash.get("/flows/:name", open, async (request, reply) => {
    const name = nameParam(request);
    const flow = name ? await getFlowStatus(tickflow, name) : null;
    if (!name || !flow) return sendError(reply, 404, `No flow named ${name ?? "that"}.`);
    const before = cursorParam(request);
    const rows = await tickflow.flows.runs({
      flow: name,
      beforeId: before ?? undefined,
      limit: PAGE_SIZE + 1,
    });
    const runs = rows.slice(0, PAGE_SIZE);
    const nextCursor = rows.length > PAGE_SIZE ? runs.at(-1)!.id : null;
    const now = tickflow.now();
    const body = flowBody({ flow, runs, before, nextCursor, now, session: request.dashboardSession! });
    return render(request, reply, "flows", `Flow ${name}`, body, now);
  });

  const flowName = (p: Record<string, string>) => required(p, "name", isValidName, "flow");
  const toFlow = (p: Record<string, string>) =>
    isValidName(p.name ?? "") ? flowPath(p.name!) : `${BASE}/flows`;
  registerAction(
    dash,
    logger,
    "/flows/:name/trigger",
    async (p) => {
      const answer = await tickflow.flows.trigger(flowName(p), { source: "manual" });
      return { to: toFlow(p), text: `Triggered ${answer.flow}: run #${answer.runId} is queued.` };
    },
    toFlow,
  );
  registerAction(
    dash,
    logger,
    "/flows/:name/enable",
    async (p) => {
      await tickflow.flows.enable(flowName(p));
      return { to: toFlow(p), text: `Flow ${p.name} is enabled.` };
    },
    toFlow,
  );
  registerAction(
    dash,
    logger,
    "/flows/:name/disable",
    async (p) => {
      await tickflow.flows.disable(flowName(p));
      return {
        to: toFlow(p),
        text: `Flow ${p.name} is disabled: triggers are refused and its schedule is paused.`,
      };
    },
    toFlow,
  );
}
