import type { FastifyInstance } from "fastify";
import { heartbeatMinutes, queueSummaries, recentFailures } from "../data.ts";
import { overviewBody } from "../pages/overview.ts";
import { type DashboardContext, open, render } from "./context.ts";

/** The overview page: heartbeat, monitors, queues and recent failures. */
export function registerOverviewRoutes(
  dash: FastifyInstance,
  { tickflow, heartbeat }: DashboardContext,
): void {
  dash.get("/", open, async (request, reply) => {
    const now = tickflow.now();
    const [status, minutes, monitors, queues, failures] = await Promise.all([
      heartbeat?.enabled ? heartbeat.status() : null,
      heartbeat?.enabled ? heartbeatMinutes(tickflow, now) : null,
      tickflow.monitors.status(),
      queueSummaries(tickflow, now),
      recentFailures(tickflow, now),
    ]);
    const hb = status && minutes ? { enabled: true as const, status, minutes } : { enabled: false as const };
    return render(
      request,
      reply,
      "overview",
      "Overview",
      overviewBody({ now, heartbeat: hb, monitors, queues, failures }),
      now,
    );
  });
}
