import type { Command } from "commander";
import { loadCliConfig } from "../common.ts";

// The service (Fastify, the HTTP routes, the dashboard) is imported only by the commands that run it.
const loadService = () => import("../run-service.ts");

export function registerStart(program: Command): void {
  program
    .command("start")
    .description("run the scheduler and the workers (the main process)")
    .action(async (_options, command: Command) => {
      const config = await loadCliConfig(command);
      const { runService } = await loadService();
      await runService(config, { worker: true, scheduler: true }, "start");
    });

  program
    .command("worker")
    .description("run workers only (no scheduler)")
    .option("-q, --queues <names>", "comma-separated queues to work (default: all)")
    .option("--concurrency <n>", "jobs run at once")
    .action(async (options: { queues?: string; concurrency?: string }, command: Command) => {
      const env = { ...process.env };
      if (options.queues) env.TICKFLOW_QUEUES = options.queues;
      if (options.concurrency) env.TICKFLOW_CONCURRENCY = options.concurrency;
      const config = await loadCliConfig(command, env);
      const { runService } = await loadService();
      await runService(config, { worker: true, scheduler: false }, "worker");
    });
}
