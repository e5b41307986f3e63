import type { FastifyInstance } from "fastify";
import type { JobRunRow } from "../../store/ports/rows.ts";
import { monitorBody, monitorsBody } from "../pages/monitors.ts";
import { type DashboardContext, nameParam, open, render, sendError } from "./context.ts";

/** The monitor list and a monitor's page with its transitions and latest checks. */
export function registerMonitorRoutes(dash: FastifyInstance, { tickflow }: DashboardContext): void {
  dash.get("/monitors", open, async (request, reply) => {
    const now = tickflow.now();
    return render(
      request,
      reply,
      "monitors",
      "Monitors",
      monitorsBody(await tickflow.monitors.status(), now),
      now,
    );
  });

  dash.get("/monitors/:name", open, async (request, reply) => {
    const name = nameParam(request);
    const monitor = name ? await tickflow.monitors.get(name) : null;
    if (!name || !monitor) return sendError(reply, 404, `No monitor named ${name ?? "that"}.`);
    const transitions = await tickflow.monitors.transitions(name, { limit: 100 });
    const jobs = await tickflow.queries.listJobs({ type: monitor.jobType, limit: 30 });
    const runs = await tickflow.queries.listRunsOfJobs(jobs.map((j) => j.id));
    const checks: JobRunRow[] = [...runs.values()]
      .flat()
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, 30);
    const now = tickflow.now();
    return render(
      request,
      reply,
      "monitors",
      `Monitor ${name}`,
      monitorBody(monitor, transitions, checks, now),
      now,
    );
  });
}
