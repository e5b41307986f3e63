import type { FastifyInstance } from "fastify";
import { clampTimerMs } from "../../core/limits.ts";
import type { HttpDeps } from "../deps.ts";

/** A store that does not answer within this is unhealthy: the scheduler could not fire either. */
const STORE_PING_TIMEOUT_MS = 2_000;

type Component = { status: "ok" | "late" | "missing" | "fail" | "stopped"; [detail: string]: unknown };

/**
 * GET /health: 200 when the store answers, this process's scheduler runs and (when enabled) the
 * heartbeat pair is ok; 503 otherwise. Without a token only the overall status is shown; with a
 * token, every component and the heartbeat's measured delays.
 */
export function registerHealthRoute(app: FastifyInstance, deps: HttpDeps): void {
  app.get("/health", { config: { access: "open" } }, async (request, reply) => {
    const components = await checkComponents(deps);
    const ok = Object.values(components).every((c) => c.status === "ok");
    reply.code(ok ? 200 : 503);
    const status = ok ? "ok" : "unavailable";
    return request.authenticated ? { status, components } : { status };
  });
}

export async function checkComponents(deps: HttpDeps): Promise<Record<string, Component>> {
  const { tickflow, heartbeat } = deps;
  const components: Record<string, Component> = {};
  const started = performance.now();
  try {
    await withTimeout(tickflow.queries.nextScheduleFireAt(), STORE_PING_TIMEOUT_MS);
    components.store = {
      status: "ok",
      dialect: tickflow.dialect,
      latencyMs: round(performance.now() - started),
    };
  } catch (error) {
    components.store = { status: "fail", dialect: tickflow.dialect, error: (error as Error).message };
  }
  const { state, scheduler } = tickflow.lifecycle;
  if (scheduler) components.scheduler = { status: state === "running" ? "ok" : "stopped", state };
  if (heartbeat?.enabled) {
    try {
      const h = await heartbeat.status();
      components.heartbeat = {
        status: h.status,
        reason: h.reason,
        timedLatenessMs: h.lastTimed?.latenessMs ?? null,
        eventDelayMs: h.lastEvent?.delayMs ?? null,
        lastTimedAt: h.lastTimed ? new Date(h.lastTimed.ranAt).toISOString() : null,
      };
    } catch (error) {
      components.heartbeat = { status: "fail", error: (error as Error).message };
    }
  }
  try {
    // A broken schedule is reported, not judged: a restart cannot mend its definition, so it never
    // turns /health into 503 (alert on tickflow_schedule_broken); the other schedules keep firing.
    const broken = (await tickflow.queries.listSchedules()).filter((s) => s.broken !== null);
    components.schedules = {
      status: "ok",
      broken: broken.map((s) => ({ key: s.id, error: s.broken, since: iso(s.brokenAt) })),
    };
  } catch (error) {
    components.schedules = { status: "fail", error: (error as Error).message };
  }
  try {
    // Upstream monitors are reported, not judged: an OFFLINE dependency is not a reason to restart
    // tickflow (its gated queues already wait), so it never turns /health into 503.
    const monitors = await tickflow.monitors.status();
    if (monitors.length > 0) {
      components.monitors = {
        status: "ok",
        states: Object.fromEntries(monitors.map((m) => [m.name, m.state])),
      };
    }
  } catch (error) {
    components.monitors = { status: "fail", error: (error as Error).message };
  }
  return components;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const round = (ms: number) => Math.round(ms * 100) / 100;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), clampTimerMs(ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
