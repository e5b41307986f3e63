import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { HEARTBEAT_HEALTH_STATUSES } from "../../core/heartbeat-health.ts";
import { MONITOR_STATES } from "../../core/hysteresis.ts";
import { SCHEDULE_HEALTH } from "../../core/schedule-health.ts";
import type { HttpDeps } from "../deps.ts";
import { registerLimitGauges } from "./limit-metrics.ts";

/**
 * A Prometheus StateSet (OpenMetrics): one sample per possible state, 1 for the current one and 0
 * for the others, the state in a label named after the metric. `max by (schedule)
 * (tickflow_schedule_health{tickflow_schedule_health="failing"}) == 1` alerts without knowing
 * which number stands for what.
 */
function setStates(
  gauge: Gauge<string>,
  name: string,
  states: readonly string[],
  current: string,
  labels: Record<string, string> = {},
): void {
  for (const state of states) gauge.set({ ...labels, [name]: state }, state === current ? 1 : 0);
}

/**
 * GET /metrics in Prometheus text format. Counters and histograms follow runtime events; gauges
 * (jobs by state, oldest waiting job, heartbeat) are read from the store at scrape time, so they
 * are true for every process sharing the store, not just this one.
 */
export function registerMetricsRoute(app: FastifyInstance, deps: HttpDeps): void {
  const registry = createMetrics(deps);
  app.get(
    "/metrics",
    { config: { access: deps.config.metricsPublic ? "open" : "token" } },
    async (_request, reply) => {
      reply.header("content-type", registry.contentType);
      return registry.metrics();
    },
  );
}

export function createMetrics({ tickflow, heartbeat, metricsRegistry }: HttpDeps): Registry {
  // An application's own registry: tickflow's metrics are scraped with the application's.
  const registry = metricsRegistry ?? new Registry();
  const runs = new Counter({
    name: "tickflow_job_runs_total",
    help: "Job attempts by type and outcome (this process)",
    labelNames: ["type", "outcome"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "tickflow_job_run_duration_seconds",
    help: "Job attempt duration by type (this process)",
    labelNames: ["type"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const lateness = new Histogram({
    name: "tickflow_schedule_lateness_seconds",
    help: "Start of a scheduled job minus its nominal fire time",
    labelNames: ["schedule"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30],
    registers: [registry],
  });
  new Counter({
    name: "tickflow_schedule_ticks_total",
    help: "Schedule tick decisions (fired, missed, skipped) by reason (this process, since it started)",
    labelNames: ["schedule", "decision", "reason"],
    registers: [registry],
    // Counted by the Tickflow from its creation: the ticks decided during start() count too.
    collect() {
      this.reset();
      for (const [schedule, decision, reason, n] of tickflow.liveness.tickCounts.entries())
        this.inc({ schedule, decision, reason }, n);
    },
  });
  tickflow.on("job:succeed", (e) => {
    runs.inc({ type: e.type, outcome: "succeeded" });
    duration.observe({ type: e.type }, e.durationMs / 1_000);
  });
  tickflow.on("job:fail", (e) => {
    runs.inc({ type: e.type, outcome: e.outcome });
    duration.observe({ type: e.type }, e.durationMs / 1_000);
  });
  tickflow.on("job:lease-lost", (e) => runs.inc({ type: e.type, outcome: "lease_lost" }));
  tickflow.on("job:start", (e) => {
    if (e.scheduledFor !== null && e.attempt === 1) {
      lateness.observe({ schedule: e.scheduleId ?? "" }, Math.max(0, e.startedAt - e.scheduledFor) / 1_000);
    }
  });

  if (heartbeat?.enabled) {
    const delays = new Gauge({
      name: "tickflow_heartbeat_delay_seconds",
      help: "Heartbeat measured delays: timed = start − nominal minute; event = event start − timed start",
      labelNames: ["kind"],
      registers: [registry],
    });
    new Gauge({
      name: "tickflow_heartbeat_status",
      help: "Heartbeat pair health (StateSet: 1 for the current of ok, interrupted, late, missing)",
      labelNames: ["tickflow_heartbeat_status"],
      registers: [registry],
      async collect() {
        const h = await heartbeat.status();
        this.reset();
        setStates(this, "tickflow_heartbeat_status", HEARTBEAT_HEALTH_STATUSES, h.status);
        delays.reset();
        if (h.lastTimed) delays.set({ kind: "timed" }, h.lastTimed.latenessMs / 1_000);
        if (h.lastEvent) delays.set({ kind: "event" }, h.lastEvent.delayMs / 1_000);
      },
    });
  }
  registerStoreGauges(registry, tickflow);
  registerLimitGauges(registry, tickflow);

  return registry;
}

/** Gauges read from the store at scrape time (the whole cluster's view, not this process's). */
function registerStoreGauges(registry: Registry, tickflow: HttpDeps["tickflow"]): void {
  new Gauge({
    name: "tickflow_jobs",
    help: "Jobs by queue and state (the whole store)",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await tickflow.queueCounts()) this.set({ queue: c.queue, state: c.state }, c.count);
    },
  });
  new Gauge({
    name: "tickflow_queue_oldest_waiting_seconds",
    help: "Age of the oldest due job still waiting, by queue",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const now = tickflow.now();
      for (const c of await tickflow.queueCounts()) {
        if (c.state === "available" && c.oldestRunAt !== null)
          this.set({ queue: c.queue }, (now - c.oldestRunAt) / 1_000);
      }
    },
  });
  new Gauge({
    name: "tickflow_schedule_broken",
    help: "1 for each schedule set aside as broken (unreadable or unplannable: it does not fire)",
    labelNames: ["schedule"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await tickflow.queries.listSchedules())
        if (s.broken !== null) this.set({ schedule: s.id }, 1);
    },
  });
  new Gauge({
    name: "tickflow_monitor_state",
    help: "Monitor state (StateSet: 1 for the current of UNKNOWN, ONLINE, OFFLINE)",
    labelNames: ["monitor", "tickflow_monitor_state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const m of await tickflow.monitors.status())
        setStates(this, "tickflow_monitor_state", MONITOR_STATES, m.state, { monitor: m.name });
    },
  });
  new Gauge({
    name: "tickflow_schedule_health",
    help: "Schedule health (StateSet: 1 for the current of ok, late, failing, missed, paused, never_ran)",
    labelNames: ["schedule", "tickflow_schedule_health"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await tickflow.liveness.scheduleReports({ ticks: 10 }))
        setStates(this, "tickflow_schedule_health", SCHEDULE_HEALTH, r.health.status, {
          schedule: r.schedule.id,
        });
    },
  });
  new Gauge({
    name: "tickflow_event_loop_delay_seconds",
    help: "Event-loop delay of this process (perf_hooks.monitorEventLoopDelay) by quantile",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      this.reset();
      const loop = tickflow.liveness.eventLoop();
      if (!loop) return;
      this.set({ quantile: "0.5" }, loop.delayP50Ms / 1_000);
      this.set({ quantile: "0.99" }, loop.delayP99Ms / 1_000);
      this.set({ quantile: "1" }, loop.delayMaxMs / 1_000);
    },
  });
  const stalls = new Counter({
    name: "tickflow_event_loop_stalls_total",
    help: "Event-loop stalls beyond the watchdog threshold (this process)",
    registers: [registry],
  });
  tickflow.on("event-loop:stall", () => stalls.inc());
  new Gauge({
    name: "tickflow_event_loop_health",
    help: "Event-loop watchdog (StateSet: ok, or degraded after a stall)",
    labelNames: ["tickflow_event_loop_health"],
    registers: [registry],
    collect() {
      this.reset();
      const loop = tickflow.liveness.eventLoop();
      if (loop) setStates(this, "tickflow_event_loop_health", ["ok", "degraded"], loop.status);
    },
  });
  new Gauge({
    name: "tickflow_flow_last_run",
    help: "1 for each flow's last run status (in_progress, success, failed)",
    labelNames: ["flow", "status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await tickflow.flows.list()) {
        if (f.lastRunStatus !== null && f.removedAt === null)
          this.set({ flow: f.name, status: f.lastRunStatus }, 1);
      }
    },
  });
}
