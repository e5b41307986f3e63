import type { FastifyInstance } from "fastify";
import { clampTimerMs } from "../../core/limits.ts";
import { type ComponentStatus, judgeReadiness, type Readiness } from "../../core/readiness.ts";
import { SCHEDULE_HEALTH } from "../../core/schedule-health.ts";
import type { HttpDeps } from "../deps.ts";

/** A store that does not answer within this is unhealthy: the scheduler could not fire either. */
const STORE_PING_TIMEOUT_MS = 2_000;

type Component = {
  status: ComponentStatus;
  reportedOnly?: boolean;
  graceable?: boolean;
  [detail: string]: unknown;
};

/**
 * Health, split the way orchestrators probe it (docs/operations.md):
 * - `GET /health/live`  liveness: 200 while the process runs its services; restart it otherwise.
 * - `GET /health/ready` readiness: 200 while store, scheduler, heartbeat and event loop are fine
 *   (core/readiness.ts: a heartbeat interrupted by this process's own restart, or inside the
 *   startup grace, does not fail it); 503 otherwise.
 * - `GET /health`       the same answer as readiness (what it always was), for one-probe setups.
 * Without a token only the verdicts are shown; with one, every component with its details.
 */
export function registerHealthRoute(app: FastifyInstance, deps: HttpDeps): void {
  const answer = async (
    kind: "live" | "ready",
    request: { authenticated: boolean },
    reply: { code(n: number): unknown },
  ) => {
    const components = await checkComponents(deps, { detail: request.authenticated });
    const verdict = judge(deps, components);
    const ok = kind === "live" ? verdict.live : verdict.ready;
    reply.code(ok ? 200 : 503);
    const summary = {
      status: ok ? "ok" : "unavailable",
      live: verdict.live,
      ready: verdict.ready,
      ...(verdict.starting ? { starting: true } : {}),
    };
    if (!request.authenticated) return summary;
    return { ...summary, notReady: verdict.notReady, components: stripJudging(components) };
  };
  app.get("/health", { config: { access: "open" } }, (request, reply) => answer("ready", request, reply));
  app.get("/health/ready", { config: { access: "open" } }, (request, reply) =>
    answer("ready", request, reply),
  );
  app.get("/health/live", { config: { access: "open" } }, (request, reply) => answer("live", request, reply));
}

export function judge(deps: HttpDeps, components: Record<string, Component>): Readiness {
  const { state, startedAt } = deps.tickflow.lifecycle;
  return judgeReadiness({
    components,
    lifecycle: state,
    startedAt,
    startupGraceMs: deps.tickflow.liveness.startupGraceMs,
    now: deps.tickflow.now(),
  });
}

/** `detail`: also the reported-only schedule health (read per schedule: not for every probe). */
export async function checkComponents(
  deps: HttpDeps,
  options: { detail?: boolean } = {},
): Promise<Record<string, Component>> {
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
  const { state, scheduler, systemLane } = tickflow.lifecycle;
  if (scheduler) components.scheduler = { status: state === "running" ? "ok" : "stopped", state };
  if (systemLane.concurrency > 0) {
    components.systemLane = { status: "ok", reportedOnly: true, ...systemLane };
  }
  const loop = tickflow.liveness.eventLoop();
  if (loop) {
    components.eventLoop = {
      status: loop.status,
      // A stall while starting (loading flows, a first big migration) is not an unready process.
      graceable: true,
      delayP50Ms: loop.delayP50Ms,
      delayP99Ms: loop.delayP99Ms,
      delayMaxMs: loop.delayMaxMs,
      stalls: loop.stalls,
      stallThresholdMs: loop.stallThresholdMs,
      lastStall: loop.lastStall
        ? { ...loop.lastStall, endedAt: new Date(loop.lastStall.endedAt).toISOString() }
        : null,
    };
  }
  if (heartbeat?.enabled) {
    try {
      const h = await heartbeat.status();
      components.heartbeat = {
        status: h.status,
        graceable: true,
        reason: h.reason,
        timedLatenessMs: h.lastTimed?.latenessMs ?? null,
        eventDelayMs: h.lastEvent?.delayMs ?? null,
        lastTimedAt: h.lastTimed ? new Date(h.lastTimed.ranAt).toISOString() : null,
      };
    } catch (error) {
      components.heartbeat = { status: "fail", graceable: true, error: (error as Error).message };
    }
  }
  try {
    // A broken schedule is reported, not judged: a restart cannot mend its definition, so it never
    // turns /health into 503 (alert on tickflow_schedule_broken); the other schedules keep firing.
    const broken = (await tickflow.queries.listSchedules()).filter((s) => s.broken !== null);
    components.schedules = {
      status: "ok",
      reportedOnly: true,
      broken: broken.map((s) => ({ key: s.id, error: s.broken, since: iso(s.brokenAt) })),
    };
  } catch (error) {
    components.schedules = { status: "fail", reportedOnly: true, error: (error as Error).message };
  }
  try {
    // Upstream monitors are reported, not judged: an OFFLINE dependency is not a reason to restart
    // tickflow (its gated queues already wait), so it never turns /health into 503.
    const monitors = await tickflow.monitors.status();
    if (monitors.length > 0) {
      components.monitors = {
        status: "ok",
        reportedOnly: true,
        states: Object.fromEntries(monitors.map((m) => [m.name, m.state])),
      };
    }
  } catch (error) {
    components.monitors = { status: "fail", reportedOnly: true, error: (error as Error).message };
  }
  if (options.detail) await addSchedules(deps, components);
  return components;
}

async function addSchedules(deps: HttpDeps, components: Record<string, Component>): Promise<void> {
  const { tickflow } = deps;
  try {
    // Schedule health (spec §11) is reported, not judged: a failing user job is the user's to fix,
    // not a reason to take this instance out of service.
    const reports = await tickflow.liveness.scheduleReports({ ticks: 10 });
    if (reports.length > 0) {
      const counts = Object.fromEntries(SCHEDULE_HEALTH.map((h) => [h, 0])) as Record<string, number>;
      for (const r of reports) counts[r.health.status]!++;
      components.schedules = {
        ...components.schedules,
        status: components.schedules?.status ?? "ok",
        reportedOnly: true,
        counts,
        health: Object.fromEntries(
          reports.map((r) => [r.schedule.id, { status: r.health.status, reason: r.health.reason }]),
        ),
      };
    }
  } catch (error) {
    components.schedules = {
      ...components.schedules,
      status: "fail",
      reportedOnly: true,
      error: (error as Error).message,
    };
  }
}

/** The judging hints are for core/readiness, not for readers. */
function stripJudging(components: Record<string, Component>): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(components).map(([name, { reportedOnly: _r, graceable: _g, ...rest }]) => [name, rest]),
  );
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
