import type { FastifyInstance } from "fastify";
import type { ResolvedConfig } from "../config/schema.ts";
import { DEFAULT_FLOWS_DIR } from "../flows/load-flows.ts";
import { createHttpServer } from "../http/server.ts";
import { type Heartbeat, registerHeartbeat } from "../jobs/heartbeat.ts";
import { createLogger, type Logger } from "../logger.ts";
import { redactUrl } from "../store/open-store.ts";
import { createTickflow, type StartOptions, type Tickflow } from "../tickflow.ts";

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
    flows: config.flows,
    flowsDir: config.flowsDir ?? DEFAULT_FLOWS_DIR,
    flowsDirOptional: config.flowsDir === undefined,
    flowRunRetentionMs: config.flowRunRetentionMs,
    flowRunsKept: config.flowRunsKept,
    concurrency: config.concurrency,
    queues: config.queues,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    shutdownGraceMs: config.shutdownGraceMs,
    retentionMs: config.retentionMs,
    logger,
  });
  // Types always; the schedule only when enabled (disabled: reconciliation removes a stored one).
  const heartbeat = registerHeartbeat(tickflow, { enabled: config.heartbeat });
  return { tickflow, heartbeat };
}

/**
 * Runs a long-lived process (`start`, `worker`) until SIGINT/SIGTERM. The first signal stops
 * gracefully; a second one aborts running jobs at once and releases them (still never losing
 * one). Handler bugs that escape as unhandled rejections or exceptions are logged, not fatal.
 */
export async function runService(config: ResolvedConfig, start: StartOptions, what: string): Promise<void> {
  const logger = createLogger(config.log);
  process.on("unhandledRejection", (reason) => {
    logger.error(
      { err: reason },
      `unhandled promise rejection (a job leaked it?): ${String((reason as Error)?.message ?? reason)}`,
    );
  });
  process.on("uncaughtException", (error) => {
    logger.error({ err: error }, `uncaught exception (a job threw outside its promise?): ${error.message}`);
  });
  // Signals are handled from the first moment: a SIGTERM during startup still stops gracefully.
  let services: { tickflow: Tickflow; http: FastifyInstance | undefined } | undefined;
  const startup = startServices(config, start, logger).then((started) => {
    services = started;
    logger.info(
      {
        database: redactUrl(config.database),
        workerId: started.tickflow.workerId,
        concurrency: start.worker === false ? 0 : config.concurrency,
        queues: config.queues ?? "all",
        jobs: started.tickflow.registry.names(),
      },
      `tickflow ${what} started`,
    );
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(
        { signal },
        `stopping: no new jobs; running jobs get ${config.shutdownGraceMs}ms to finish`,
      );
      void startup
        .catch(() => undefined)
        .then(async () => {
          await services?.http?.close();
          await services?.tickflow.stop();
          logger.info("stopped");
          process.exit(0);
        });
    } else {
      logger.warn({ signal }, "second signal: aborting running jobs now and releasing them");
      void services?.tickflow.stop(0);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  await startup;
}

async function startServices(
  config: ResolvedConfig,
  start: StartOptions,
  logger: Logger,
): Promise<{ tickflow: Tickflow; http: FastifyInstance | undefined }> {
  const { tickflow, heartbeat } = await serviceFromConfig(config, logger);
  const serveHttp = start.scheduler !== false && config.http.enabled;
  // Routes (and the metrics' event counters) before start: the ticks a restart decides first —
  // the ones its downtime missed — are counted like every later one.
  const http = serveHttp
    ? await createHttpServer({ tickflow, heartbeat, config: config.http, logger })
    : undefined;
  await tickflow.start(start);
  if (!http) return { tickflow, http: undefined };
  const address = await http.listen({ host: config.http.host, port: config.http.port });
  logger.info({ address }, `HTTP listening on ${address}`);
  return { tickflow, http };
}
