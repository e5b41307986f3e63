import type { FastifyInstance } from "fastify";
import { redactUrl } from "../config/database-url.ts";
import type { ResolvedConfig } from "../config/schema.ts";
import { DEFAULT_FLOWS_DIR } from "../flows/load-flows.ts";
import { createHttpServer } from "../http/server.ts";
import { type Heartbeat, registerHeartbeat } from "../jobs/heartbeat.ts";
import { createLogger, type Logger } from "../logger.ts";
import { createTickflow, type StartOptions, type Tickflow } from "../tickflow.ts";
import { checkHttpAddress, listenError, newSqliteFile } from "./startup-checks.ts";

/** Builds a Tickflow from a validated config: the CLI's composition root. */
export async function tickflowFromConfig(config: ResolvedConfig, logger: Logger): Promise<Tickflow> {
  return (await serviceFromConfig(config, logger)).tickflow;
}

/** The Tickflow and the features wired around it (what the HTTP service reports on). */
export async function serviceFromConfig(
  config: ResolvedConfig,
  logger: Logger,
): Promise<{ tickflow: Tickflow; heartbeat: Heartbeat }> {
  const tickflow = await createTickflow({
    databaseUrl: config.database,
    jobs: config.jobs,
    schedules: config.schedules,
    monitors: config.monitors,
    checks: config.checks,
    alerts: config.alerts,
    flows: config.flows,
    limits: config.limits,
    flowsDir: config.flowsDir ?? DEFAULT_FLOWS_DIR,
    flowsDirOptional: config.flowsDir === undefined,
    flowRunRetentionMs: config.flowRunRetentionMs,
    flowRunsKept: config.flowRunsKept,
    concurrency: config.concurrency,
    prefetch: config.prefetch,
    queues: config.queues,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    shutdownGraceMs: config.shutdownGraceMs,
    retentionMs: config.retentionMs,
    systemConcurrency: config.systemConcurrency,
    stallThresholdMs: config.stallThresholdMs,
    stallDegradedForMs: config.stallDegradedForMs,
    failingAfter: config.failingAfter,
    startupGraceMs: config.startupGraceMs,
    tickRetentionMs: config.tickRetentionMs,
    rollupLagMs: config.rollupLagMs,
    logger,
  });
  // Types always; the schedule only when enabled (disabled: reconciliation removes a stored one).
  const heartbeat = registerHeartbeat(tickflow, { enabled: config.heartbeat });
  return { tickflow, heartbeat };
}

/** What a long-lived process runs: `start` serves HTTP too; `worker` never does. */
export type ServiceKind = "start" | "worker";

/**
 * Runs a long-lived process (`start`, `worker`) until SIGINT/SIGTERM. The first signal stops
 * gracefully; a second one aborts running jobs at once and releases them (still never losing
 * one). An uncaught exception leaves the process in an unknown state (Node's guidance): it is
 * logged, the process stops gracefully — leases released — and exits 1. Unhandled rejections
 * (a job's leaked promise) are logged and the process keeps serving.
 */
export async function runService(
  config: ResolvedConfig,
  start: StartOptions,
  what: ServiceKind,
): Promise<void> {
  const logger = createLogger(config.log);
  process.on("unhandledRejection", (reason) => {
    logger.error(
      { err: reason },
      `unhandled promise rejection (a job leaked it?): ${String((reason as Error)?.message ?? reason)}`,
    );
  });
  // Signals are handled from the first moment: a SIGTERM during startup still stops gracefully.
  let services: { tickflow: Tickflow; http: FastifyInstance | undefined } | undefined;
  const startup = startServices(config, start, what, logger).then((started) => {
    services = started;
    logger.info(
      {
        database: redactUrl(config.database),
        workerId: started.tickflow.workerId,
        concurrency: start.worker === false ? 0 : config.concurrency,
        queues: config.queues ?? "all",
        scheduler: start.scheduler !== false,
        jobs: started.tickflow.registry.names(),
      },
      `tickflow ${what} started`,
    );
    if (started.http) logWhereToGo(config, started.http, logger);
  });
  let stopping: Promise<void> | undefined;
  const stop = (exitCode: number) => {
    stopping ??= startup
      .catch(() => undefined)
      .then(async () => {
        await services?.http?.close();
        await services?.tickflow.stop();
        logger.info("stopped");
        process.exit(exitCode);
      });
    return stopping;
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(
        { signal },
        `stopping: no new jobs; running jobs get ${config.shutdownGraceMs}ms to finish`,
      );
      void stop(0);
    } else {
      logger.warn({ signal }, "second signal: aborting running jobs now and releasing them");
      void services?.tickflow.stop(0);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", (error) => {
    logger.error(
      { err: error },
      `uncaught exception (a job threw outside its promise?): ${error.message}; stopping gracefully, exit code 1`,
    );
    void stop(1);
  });
  await startup;
}

/** The lines a new user needs: where the dashboard and the API are, and how to get in. */
function logWhereToGo(config: ResolvedConfig, http: FastifyInstance, logger: Logger): void {
  const address = http.server.address();
  const port = typeof address === "object" && address ? address.port : config.http.port;
  const { host } = config.http;
  // A wildcard address is not something to type into a browser: loopback reaches it.
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  const base = `http://${shown}:${port}`;
  logger.info(`dashboard: ${base}/dashboard (log in with the API token)`);
  logger.info(`API: ${base}/api/v1 (Authorization: Bearer <token>); external cron: POST ${base}/heartbeat`);
  if (config.http.tokens.length === 0) {
    logger.warn(
      "no token is set, so the dashboard and the API refuse everyone: set TICKFLOW_TOKEN (16+ characters) and restart",
    );
  } else {
    logger.info("the token is TICKFLOW_TOKEN (or http.tokens in tickflow.config.ts)");
  }
}

async function startServices(
  config: ResolvedConfig,
  start: StartOptions,
  what: ServiceKind,
  logger: Logger,
): Promise<{ tickflow: Tickflow; http: FastifyInstance | undefined }> {
  const serveHttp = what === "start" && config.http.enabled;
  // Bad input must not leave a migrated database behind: check the address before the store
  // opens, and remove a SQLite file this startup created if anything later fails.
  if (serveHttp) await checkHttpAddress(config);
  const created = newSqliteFile(config);
  let tickflow: Tickflow | undefined;
  try {
    const service = await serviceFromConfig(config, logger);
    tickflow = service.tickflow;
    await tickflow.start(start);
    if (!serveHttp) return { tickflow, http: undefined };
    const http = await createHttpServer({
      tickflow,
      heartbeat: service.heartbeat,
      config: config.http,
      logger,
    });
    const address = await http
      .listen({ host: config.http.host, port: config.http.port })
      .catch((error: unknown) => {
        throw listenError(error, config.http.host, config.http.port);
      });
    logger.info({ address }, `HTTP listening on ${address}`);
    return { tickflow, http };
  } catch (error) {
    await tickflow?.stop(0).catch(() => undefined);
    created.remove();
    throw error;
  }
}
