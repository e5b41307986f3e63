import type { ResolvedConfig } from "../config/schema.ts";
import { registerHeartbeat } from "../jobs/heartbeat.ts";
import { createLogger, type Logger } from "../logger.ts";
import { redactUrl } from "../store/open-store.ts";
import { createTickflow, type StartOptions, type Tickflow } from "../tickflow.ts";

/** Builds a Tickflow from a validated config: the CLI's composition root. */
export async function tickflowFromConfig(config: ResolvedConfig, logger: Logger): Promise<Tickflow> {
  const tickflow = await createTickflow({
    databaseUrl: config.database,
    jobs: config.jobs,
    schedules: config.schedules,
    concurrency: config.concurrency,
    queues: config.queues,
    leaseMs: config.leaseMs,
    pollIntervalMs: config.pollIntervalMs,
    shutdownGraceMs: config.shutdownGraceMs,
    retentionMs: config.retentionMs,
    logger,
  });
  // Types always; the schedule only when enabled (disabled: reconciliation removes a stored one).
  registerHeartbeat(tickflow, { enabled: config.heartbeat });
  return tickflow;
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
  const tickflow = await tickflowFromConfig(config, logger);
  await tickflow.start(start);
  logger.info(
    {
      database: redactUrl(config.database),
      workerId: tickflow.workerId,
      concurrency: start.worker === false ? 0 : config.concurrency,
      queues: config.queues ?? "all",
      jobs: tickflow.registry.names(),
    },
    `tickflow ${what} started`,
  );
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      logger.info(
        { signal },
        `stopping: no new jobs; running jobs get ${config.shutdownGraceMs}ms to finish`,
      );
      void tickflow.stop().then(() => {
        logger.info("stopped");
        process.exit(0);
      });
    } else {
      logger.warn({ signal }, "second signal: aborting running jobs now and releasing them");
      void tickflow.stop(0);
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
