import type { FastifyInstance } from "fastify";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { HttpDeps } from "../deps.ts";
import { registerLimitGauges } from "./limit-metrics.ts";

const HEARTBEAT_STATUS_VALUE = { ok: 0, late: 1, missing: 2 } as const;
const MONITOR_STATE_VALUE: Record<string, number> = { UNKNOWN: 0, ONLINE: 1, OFFLINE: 2 };

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
  const ticks = new Counter({
    name: "tickflow_schedule_ticks_total",
    help: "Schedule tick decisions (fired, missed, skipped) by reason",
    labelNames: ["schedule", "decision", "reason"],
    registers: [registry],
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
  tickflow.on("schedule:tick", (e) =>
    ticks.inc({ schedule: e.scheduleId, decision: e.decision, reason: e.reason ?? "" }),
  );

  if (heartbeat?.enabled) {
    const delays = new Gauge({
      name: "tickflow_heartbeat_delay_seconds",
      help: "Heartbeat measured delays: timed = start − nominal minute; event = event start − timed start",
      labelNames: ["kind"],
      registers: [registry],
    });
    new Gauge({
      name: "tickflow_heartbeat_status",
      help: "Heartbeat pair health: 0 ok, 1 late, 2 missing",
      registers: [registry],
      async collect() {
        const h = await heartbeat.status();
        this.set(HEARTBEAT_STATUS_VALUE[h.status]);
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
    help: "Monitor state: 0 UNKNOWN, 1 ONLINE, 2 OFFLINE",
    labelNames: ["monitor"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const m of await tickflow.monitors.status())
        this.set({ monitor: m.name }, MONITOR_STATE_VALUE[m.state] ?? 0);
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
