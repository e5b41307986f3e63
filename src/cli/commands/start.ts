import type { Command } from "commander";
import { CliError, loadCliConfig, positiveInt } from "../common.ts";

// The service (Fastify, the HTTP routes, the dashboard) is imported only by the commands that run it.
const loadService = () => import("../run-service.ts");

/** What `start --help` lists: the settings a first run needs (all of them: docs/configuration.md). */
const START_SETTINGS = `
Settings that matter (environment variables win over tickflow.config.ts):
  TICKFLOW_DATABASE_URL  where everything is stored (default sqlite:./tickflow.db; postgres://… to share)
  TICKFLOW_TOKEN         the API and dashboard token, 16+ characters (none: both refuse everyone)
  TICKFLOW_HOST          address to listen on (default 127.0.0.1)
  TICKFLOW_PORT          HTTP port (default 7070): dashboard /dashboard, API /api/v1, POST /heartbeat
  ENABLE_HEARTBEAT       1 turns the diagnostic heartbeat on (its one switch; default off)
  TICKFLOW_CONCURRENCY   jobs run at once (default 10)
  LOG_LEVEL, LOG_FORMAT  info | debug | …, json | pretty
Every setting: docs/configuration.md`;

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("run the scheduler, the workers and the HTTP server (the main process)")
    .option(
      "--no-scheduler",
      "fire no schedules here: an external cron calling POST /heartbeat drives the flows (config: scheduler: false)",
    )
    .addHelpText("after", START_SETTINGS)
    .action(async (options: { scheduler: boolean }, command: Command) => {
      // The service first, then the user's config: what the config computes when it loads (an
      // `at: Date.now() + …` schedule) meets a scheduler that is ready, not one still importing.
      const { runService } = await loadService();
      const config = await loadCliConfig(command);
      const scheduler = options.scheduler && config.scheduler;
      await runService(config, { worker: true, scheduler, syncSchedules: true }, "start");
    });

  program
    .command("worker")
    .description("run workers only (no scheduler, no HTTP)")
    .option("-q, --queues <names>", "comma-separated queues to work (default: all)")
    .option("--concurrency <n>", "jobs run at once")
    .action(async (options: { queues?: string; concurrency?: string }, command: Command) => {
      const env = { ...process.env };
      if (options.queues) env.TICKFLOW_QUEUES = options.queues;
      // The flag the user typed is the one an error names, not the variable it sets.
      if (options.concurrency !== undefined) {
        const concurrency = positiveInt(options.concurrency, "--concurrency", 10);
        if (concurrency > 1000) {
          throw new CliError(`--concurrency must be at most 1000, got ${concurrency}`, "INVALID_OPTION");
        }
        env.TICKFLOW_CONCURRENCY = String(concurrency);
      }
      const { runService } = await loadService();
      const config = await loadCliConfig(command, env);
      await runService(config, { worker: true, scheduler: false }, "worker");
    });
}
