import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { MonitorRow, MonitorTransitionRow } from "../../store/ports/rows.ts";
import { Monitor, Transition } from "../api-schemas.ts";
import type { HttpDeps } from "../deps.ts";
import { doc } from "../openapi.ts";
import { parseInput } from "../validate.ts";

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

export function transitionView(t: MonitorTransitionRow) {
  return {
    at: iso(t.at),
    from: t.from,
    to: t.to,
    successes: t.successes,
    failures: t.failures,
    error: t.error,
  };
}

export function monitorView(m: MonitorRow) {
  return {
    name: m.name,
    state: m.state,
    successes: m.successes,
    failures: m.failures,
    checks: m.checks,
    lastCheck: m.lastCheck,
    lastTransition: m.lastTransition ? transitionView(m.lastTransition) : null,
    closedQueues: m.closedQueues,
  };
}

/** Liveness monitors under /api/v1. */
export function registerMonitorRoutes(api: FastifyInstance, { tickflow }: HttpDeps): void {
  const monitors = doc({
    summary: "Monitor states, counters, last check and last transition",
    responses: { 200: z.object({ monitors: z.array(Monitor) }) },
  });
  api.get("/monitors", monitors, async () => ({
    monitors: (await tickflow.monitors.status()).map(monitorView),
  }));
  const monitorParams = z.object({
    name: z.string().refine(isValidName, { message: "not a valid monitor name" }),
  });
  const monitor = doc({
    summary: "One monitor with its transitions",
    params: monitorParams,
    responses: { 200: z.object({ monitor: Monitor, transitions: z.array(Transition) }) },
  });
  api.get("/monitors/:name", monitor, async (request) => {
    const { name } = parseInput(monitorParams, request.params, "path");
    const monitor = await tickflow.monitors.get(name);
    if (!monitor) throw new NotFoundError(`monitor "${name}"`);
    const transitions = await tickflow.monitors.transitions(name, { limit: 50 });
    return { monitor: monitorView(monitor), transitions: transitions.map(transitionView) };
  });
}
