import type { FastifyInstance } from "fastify";
import { isValidName } from "../../core/names.ts";
import type { ScheduleFilter } from "../../store/ports/rows.ts";
import { html } from "../html.ts";
import { BASE } from "../layout.ts";
import { scheduleFilterForm } from "../pages/schedule-runtime.ts";
import { scheduleBody, schedulePath, schedulesBody } from "../pages/schedules.ts";
import { registerAction, required } from "./actions.ts";
import { type DashboardContext, nameParam, open, render, sendError } from "./context.ts";
import { registerScheduleEditRoutes } from "./schedule-edit.ts";

/** The schedule list (each with its health and recent ticks), a schedule's page, and pause / resume. */
export function registerScheduleRoutes(dash: FastifyInstance, { tickflow, logger }: DashboardContext): void {
  dash.get("/schedules", open, async (request, reply) => {
    const now = tickflow.now();
    const filter = scheduleFilterFromQuery(request.query);
    const items = await tickflow.liveness.scheduleReports({ ticks: 24, filter });
    return render(
      request,
      reply,
      "schedules",
      "Schedules",
      html`${scheduleFilterForm(filter)}${schedulesBody(items, now, request.dashboardSession!)}`,
      now,
    );
  });

  dash.get("/schedules/:key", open, async (request, reply) => {
    const key = nameParam(request, "key");
    const schedule = key ? await tickflow.queries.getSchedule(key) : null;
    if (!key || !schedule) return sendError(reply, 404, `No schedule named ${key ?? "that"}.`);
    const beforeText = (request.query as Record<string, unknown>).before;
    const before =
      typeof beforeText === "string" && !Number.isNaN(Date.parse(beforeText)) ? Date.parse(beforeText) : null;
    const [[report], page, rates] = await Promise.all([
      tickflow.liveness.scheduleReports({ scheduleId: key, ticks: 10 }),
      tickflow.liveness.tickPage(key, { limit: 100, before: before ?? undefined }),
      tickflow.liveness.scheduleRates([key]),
    ]);
    if (!report) return sendError(reply, 404, `No schedule named ${key}.`);
    const next = schedule.paused ? [] : (await tickflow.previewRuns(key, 5)).map((d) => d.getTime());
    const now = tickflow.now();
    const body = scheduleBody({
      ...{ report, ticks: page.ticks, nextBefore: page.nextBefore, before },
      ...{ rates: rates.get(key)!, next, now, session: request.dashboardSession! },
    });
    return render(request, reply, "schedules", `Schedule ${key}`, body, now);
  });

  const scheduleKey = (p: Record<string, string>) => required(p, "key", isValidName, "schedule");
  const toSchedule = (p: Record<string, string>) =>
    isValidName(p.key ?? "") ? schedulePath(p.key!) : `${BASE}/schedules`;
  registerAction(
    dash,
    logger,
    "/schedules/:key/pause",
    async (p) => {
      await tickflow.pauseSchedule(scheduleKey(p));
      return {
        to: toSchedule(p),
        text: `Schedule ${p.key} is paused: its ticks are recorded as skipped.`,
      };
    },
    toSchedule,
  );
  registerAction(
    dash,
    logger,
    "/schedules/:key/resume",
    async (p) => {
      await tickflow.resumeSchedule(scheduleKey(p));
      return { to: toSchedule(p), text: `Schedule ${p.key} is running again.` };
    },
    toSchedule,
  );
  registerScheduleEditRoutes(dash, tickflow, logger);
}

/** The list's filter from its query; anything malformed is ignored (an empty filter), not an error page. */
function scheduleFilterFromQuery(query: unknown): ScheduleFilter {
  const q = (query ?? {}) as Record<string, unknown>;
  const text = (v: unknown) =>
    typeof v === "string" && v.trim() !== "" ? v.trim().slice(0, 200) : undefined;
  const source = q.source === "code" || q.source === "runtime" ? q.source : undefined;
  const label = text(q.label);
  const at = label?.indexOf(":") ?? -1;
  const labels = label && at > 0 ? { [label.slice(0, at)]: label.slice(at + 1) } : undefined;
  return { source, owner: text(q.owner), tenant: text(q.tenant), labels };
}
