import type { FastifyInstance } from "fastify";
import { heartbeatMinutes, queueSummaries, recentFailures } from "../data.ts";
import { overviewBody } from "../pages/overview.ts";
import { type DashboardContext, open, render } from "./context.ts";

/** Recent ticks per schedule in the overview's strips. */
const OVERVIEW_TICKS = 24;

/** The overview page: every schedule with its health and recent ticks, heartbeat, monitors, queues, recent failures. */
export function registerOverviewRoutes(
  dash: FastifyInstance,
  { tickflow, heartbeat }: DashboardContext,
): void {
  dash.get("/", open, async (request, reply) => {
    const now = tickflow.now();
    const [
      status,
      minutes,
      monitors,
      queues,
      failures,
      schedules,
      rates,
      checkViews,
      openIncidents,
      silences,
    ] = await Promise.all([
      heartbeat?.enabled ? heartbeat.status() : null,
      heartbeat?.enabled ? heartbeatMinutes(tickflow, now) : null,
      tickflow.monitors.status(),
      queueSummaries(tickflow, now),
      recentFailures(tickflow, now),
      // The same 24 recent ticks a row of the schedule list shows.
      tickflow.liveness.scheduleReports({ ticks: OVERVIEW_TICKS }),
      tickflow.liveness.scheduleRateSummaries(),
      tickflow.checks.status(),
      tickflow.alerts.incidents({ status: "open", limit: 20 }),
      tickflow.alerts.silences({ active: true }),
    ]);
    const checks = await Promise.all(
      checkViews.map(async (check) => ({
        check,
        pings: await tickflow.checks.pings(check.key, { limit: 30 }),
      })),
    );
    const hb = status && minutes ? { enabled: true as const, status, minutes } : { enabled: false as const };
    return render(
      request,
      reply,
      "overview",
      "Overview",
      overviewBody({
        now,
        heartbeat: hb,
        monitors,
        queues,
        failures,
        schedules,
        rates,
        checks,
        openIncidents,
        silences,
      }),
      now,
    );
  });
}
