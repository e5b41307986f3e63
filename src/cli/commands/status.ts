import type { Command } from "commander";
import { parseDatabaseUrl, redactUrl } from "../../config/database-url.ts";
import type { ResolvedConfig } from "../../config/schema.ts";
import { formatDuration } from "../../core/duration.ts";
import { JOB_STATES } from "../../core/job-state.ts";
import { compareHealth, SCHEDULE_HEALTH, type ScheduleHealthStatus } from "../../core/schedule-health.ts";
import { ConfigError } from "../../errors.ts";
import { DEFAULT_FLOWS_DIR, loadFlowsFromDir } from "../../flows/load-flows.ts";
import type { Tickflow } from "../../tickflow.ts";
import { CliError, cliErrorMessage, loadCliConfig, migrationName, withReader } from "../common.ts";
import { iso, printJson, printTable } from "../output.ts";

/** A stored schedule counts as overdue (the scheduler is probably not running) this long after its tick. */
const OVERDUE_MS = 60_000;

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("store, schema, schedules due, queue counts, heartbeat and monitor states")
    .option(
      "--check",
      "validate the configuration, the flows folder and the database; print errors and warnings",
    )
    .option("--json", "print JSON")
    .action(async (options: { check?: boolean; json?: boolean }, command: Command) => {
      if (options.check) {
        const result = await checkConfiguration(command.optsWithGlobals().config);
        if (options.json) printJson(result);
        else {
          for (const error of result.errors) console.log(`error: ${error}`);
          for (const warning of result.warnings) console.log(`warning: ${warning}`);
          const w = result.warnings.length;
          console.log(
            result.ok
              ? `configuration OK${w > 0 ? ` (${w} warning${w > 1 ? "s" : ""})` : ""}`
              : `configuration has ${result.errors.length} error(s)`,
          );
        }
        if (!result.ok) process.exitCode = 1;
        return;
      }
      const config = await loadCliConfig(command);
      const report = await withReader(config, (tickflow) => readStatus(tickflow, config), {
        requireMigrated: false,
      });
      if (options.json) printJson(report);
      else printStatus(report);
    });
}

export type StatusReport = Awaited<ReturnType<typeof readStatus>>;

async function readStatus(tickflow: Tickflow, config: ResolvedConfig) {
  const latest = tickflow.knownMigrations().at(-1)?.version ?? 0;
  const pending = await tickflow.pendingMigrations();
  const storeReport = {
    dialect: tickflow.dialect,
    database: redactUrl(config.database),
    schemaVersion: pending.length > 0 ? pending[0]!.version - 1 : latest,
    latestVersion: latest,
    pendingMigrations: pending.map(migrationName),
  };
  if (pending.length > 0) {
    return {
      checkedAt: iso(tickflow.now()),
      store: storeReport,
      schedules: null,
      queues: null,
      flows: null,
      heartbeat: null,
      monitors: null,
      codeVersions: null,
    };
  }
  const now = tickflow.now();
  const schedules = await tickflow.queries.listSchedules();
  const due = schedules
    .filter((s) => !s.paused && s.broken === null && s.nextFireAt !== null && s.nextFireAt <= now)
    .map((s) => ({ key: s.id, dueAt: iso(s.nextFireAt), overdueMs: now - s.nextFireAt! }));
  const next = schedules
    .filter((s) => !s.paused && s.nextFireAt !== null)
    .reduce<number | null>((min, s) => (min === null || s.nextFireAt! < min ? s.nextFireAt! : min), null);
  const counts = await tickflow.queueCounts();
  const queues = [...new Set(counts.map((c) => c.queue))].sort().map((queue) => {
    const rows = counts.filter((c) => c.queue === queue);
    const states = Object.fromEntries(
      JOB_STATES.map((s) => [s, rows.find((r) => r.state === s)?.count ?? 0]),
    );
    const oldest = rows.reduce<number | null>(
      (min, r) => (r.oldestRunAt !== null && (min === null || r.oldestRunAt < min) ? r.oldestRunAt : min),
      null,
    );
    return { queue, states, oldestDueAt: iso(oldest) };
  });
  const flows = await tickflow.queries.listFlows();
  const active = flows.filter((f) => f.removedAt === null);
  const [{ heartbeatStatus }, { monitorView }] = await Promise.all([
    import("../../jobs/heartbeat.ts"),
    import("../../http/routes/monitors.ts"),
  ]);
  const heartbeat = await heartbeatStatus(tickflow, { now }, { now: () => tickflow.now() });
  const monitors = (await tickflow.monitors.status()).map(monitorView);
  const deploys = await tickflow.schedules.deploys();
  const reports = await tickflow.liveness.scheduleReports({ ticks: 10 });
  const health = Object.fromEntries(SCHEDULE_HEALTH.map((h) => [h, 0])) as Record<
    ScheduleHealthStatus,
    number
  >;
  for (const r of reports) health[r.health.status]++;
  return {
    checkedAt: iso(now),
    store: storeReport,
    schedules: {
      total: schedules.length,
      runtime: schedules.filter((s) => s.source === "runtime").length,
      paused: schedules.filter((s) => s.paused).length,
      broken: schedules.filter((s) => s.broken !== null).map((s) => ({ key: s.id, error: s.broken })),
      due: due.length,
      overdue: due.filter((d) => d.overdueMs > OVERDUE_MS).length,
      nextFireAt: iso(next),
      dueSchedules: due,
      health,
      attention: reports
        .filter((r) => !["ok", "paused", "never_ran"].includes(r.health.status))
        .sort((a, b) => compareHealth(a.health.status, b.health.status))
        .map((r) => ({ key: r.schedule.id, health: r.health.status, reason: r.health.reason })),
    },
    /** The code versions that declared code schedules (rolling deploys), newest first: it reconciles. */
    codeVersions: deploys.map((d, i) => ({
      version: d.version,
      codeHash: d.codeHash,
      newest: i === 0,
      schedules: d.scheduleKeys.length,
      firstSeenAt: iso(d.firstSeenAt),
      lastSeenAt: iso(d.lastSeenAt),
    })),
    queues,
    flows: {
      total: active.length,
      disabled: active.filter((f) => !f.enabled).length,
      running: active.filter((f) => f.lastRunStatus === "in_progress").length,
      lastFailed: active.filter((f) => f.lastRunStatus === "failed").map((f) => f.name),
    },
    heartbeat: {
      enabled: heartbeat.schedule !== null,
      status: heartbeat.status,
      timed: heartbeat.timed,
      event: heartbeat.event,
      reason: heartbeat.reason,
      lastTimedAt: iso(heartbeat.lastTimed?.ranAt),
      lastEventAt: iso(heartbeat.lastEvent?.ranAt),
      nextBeatAt: iso(heartbeat.schedule?.nextFireAt),
    },
    monitors,
  };
}

function printStatus(r: StatusReport): void {
  const s = r.store;
  console.log(`store       ${s.dialect} ${s.database}`);
  console.log(
    `schema      version ${s.schemaVersion} of ${s.latestVersion}${
      s.pendingMigrations.length > 0
        ? ` — pending: ${s.pendingMigrations.join(", ")} (run tickflow migrate)`
        : ""
    }`,
  );
  if (!r.schedules || !r.queues || !r.flows || !r.heartbeat || !r.monitors) return;
  const sc = r.schedules;
  console.log(
    `schedules   ${sc.total} stored, ${sc.paused} paused, ${sc.due} due now${
      sc.overdue > 0 ? ` (${sc.overdue} overdue by more than a minute: is a scheduler running?)` : ""
    }; next ${sc.nextFireAt ?? "-"}`,
  );
  for (const b of sc.broken) console.log(`            broken: ${b.key}: ${b.error} (it does not fire)`);
  if (sc.runtime > 0)
    console.log(
      `            ${sc.runtime} runtime (schedules set / API), ${sc.total - sc.runtime} from code`,
    );
  for (const v of r.codeVersions ?? [])
    console.log(
      `${v === r.codeVersions?.[0] ? "code        " : "            "}version ${v.version} (${v.codeHash}) ${v.newest ? "newest, reconciles" : "older, writes none"}: ${v.schedules} code schedule(s), first seen ${v.firstSeenAt}, last seen ${v.lastSeenAt}`,
    );
  for (const d of sc.dueSchedules)
    console.log(`            due: ${d.key} since ${d.dueAt} (${formatDuration(d.overdueMs)})`);
  console.log(
    `health      ${
      SCHEDULE_HEALTH.filter((h) => sc.health[h] > 0)
        .map((h) => `${sc.health[h]} ${h}`)
        .join(", ") || "no schedules"
    }`,
  );
  for (const a of sc.attention) console.log(`            ${a.health}: ${a.key}: ${a.reason}`);
  console.log(
    `flows       ${r.flows.total} stored, ${r.flows.disabled} disabled, ${r.flows.running} running${
      r.flows.lastFailed.length > 0 ? `; last run failed: ${r.flows.lastFailed.join(", ")}` : ""
    }`,
  );
  const h = r.heartbeat;
  console.log(
    h.enabled
      ? `heartbeat   ${h.status} (timed ${h.timed}, event ${h.event}): ${h.reason}`
      : `heartbeat   off (ENABLE_HEARTBEAT=1 on tickflow start turns it on)${
          h.lastTimedAt ? `; last beat ${h.lastTimedAt}` : ""
        }`,
  );
  console.log("");
  console.log("queues");
  printTable(
    r.queues.map((q) => ({
      queue: q.queue,
      scheduled: q.states.scheduled ?? 0,
      available: q.states.available ?? 0,
      running: q.states.running ?? 0,
      retrying: q.states.retry_scheduled ?? 0,
      succeeded: q.states.succeeded ?? 0,
      discarded: q.states.discarded ?? 0,
      cancelled: q.states.cancelled ?? 0,
      "oldest due": q.oldestDueAt,
    })),
    [
      "queue",
      "scheduled",
      "available",
      "running",
      "retrying",
      "succeeded",
      "discarded",
      "cancelled",
      "oldest due",
    ],
  );
  console.log("");
  console.log("monitors");
  printTable(
    r.monitors.map((m) => ({
      name: m.name,
      state: m.state,
      checks: m.checks,
      "last check": m.lastCheck
        ? `${iso(m.lastCheck.at)} ${m.lastCheck.ok ? "ok" : `failed: ${m.lastCheck.error ?? ""}`}`
        : null,
      "closed queues": m.closedQueues.length > 0 ? m.closedQueues.join(",") : null,
    })),
    ["name", "state", "checks", "last check", "closed queues"],
  );
}

export interface CheckResult {
  ok: boolean;
  errors: string[];
  warnings: string[];
}

/**
 * `status --check`: what would stop `tickflow start`, and what would work but probably not as
 * intended. Nothing is written.
 */
export async function checkConfiguration(file: string | undefined): Promise<CheckResult> {
  const errors: string[] = [];
  const warnings: string[] = [];
  const done = () => ({ ok: errors.length === 0, errors, warnings });
  let config: ResolvedConfig;
  try {
    const { loadConfig } = await import("../../config/load.ts");
    config = await loadConfig({ file });
  } catch (error) {
    if (error instanceof ConfigError) errors.push(...error.problems);
    else errors.push(cliErrorMessage(error));
    return done();
  }
  try {
    const dir = config.flowsDir ?? DEFAULT_FLOWS_DIR;
    const flows = await loadFlowsFromDir(dir, { optional: config.flowsDir === undefined });
    const names = new Set(config.flows.map((f) => f.name));
    for (const flow of flows)
      if (names.has(flow.name))
        errors.push(`flow "${flow.name}" is defined twice: in the config and in ${dir}`);
  } catch (error) {
    errors.push(cliErrorMessage(error));
  }
  const location = parseDatabaseUrl(config.database);
  if (location.kind === "sqlite" && location.file === ":memory:") {
    warnings.push(
      "database: sqlite::memory: keeps nothing after the process exits, and no other process sees it",
    );
  }
  try {
    await withReader(
      config,
      async (tickflow) => {
        const pending = await tickflow.pendingMigrations();
        if (pending.length > 0) {
          warnings.push(
            `database: ${pending.length} pending migration(s) (${pending.map(migrationName).join(", ")}); tickflow start applies them, or run tickflow migrate`,
          );
        }
      },
      { requireMigrated: false },
    );
  } catch (error) {
    // A first run has no database yet: that is worth saying, not an error in the configuration.
    if (error instanceof CliError && error.code === "NO_DATABASE")
      warnings.push(`database: ${error.message}`);
    else errors.push(cliErrorMessage(error, config.database));
  }
  const http = config.http;
  if (http.enabled) {
    if (http.tokens.length === 0) {
      warnings.push("http: no token (TICKFLOW_TOKEN): every route but /health answers 401");
    }
    const loopback = http.host === "localhost" || http.host === "::1" || http.host.startsWith("127.");
    if (!loopback && http.allowedIps.length === 0) {
      warnings.push(
        `http: listening on ${http.host} with no allow-list (TICKFLOW_ALLOWED_IPS): any address that reaches the port may try tokens`,
      );
    }
    if (http.metricsPublic && !loopback) warnings.push(`http: /metrics is public on ${http.host}`);
  }
  if (config.retentionMs === null) warnings.push("retention: forever — finished jobs are never deleted");
  if (config.flowRunRetentionMs === null)
    warnings.push("flowRunRetention: forever — finished flow runs are kept (at most flowRunsKept per flow)");
  return done();
}
