import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isValidName } from "../../core/names.ts";
import { NotFoundError } from "../../errors.ts";
import type { MonitorRow, MonitorTransitionRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";
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
  api.get("/monitors", async () => ({ monitors: (await tickflow.monitors.status()).map(monitorView) }));
  api.get("/monitors/:name", async (request) => {
    const { name } = parseInput(
      z.object({ name: z.string().refine(isValidName, { message: "not a valid monitor name" }) }),
      request.params,
      "path",
    );
    const monitor = await tickflow.monitors.get(name);
    if (!monitor) throw new NotFoundError(`monitor "${name}"`);
    const transitions = await tickflow.monitors.transitions(name, { limit: 50 });
    return { monitor: monitorView(monitor), transitions: transitions.map(transitionView) };
  });
}
