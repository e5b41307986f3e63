import type { Command } from "commander";
import { CliError, connect, loadCliConfig, loadTickflow, requireMigrated } from "../common.ts";
import { printJson } from "../output.ts";

interface EnqueueCliOptions {
  queue?: string;
  delay?: string;
  key?: string;
  priority?: string;
  json?: boolean;
}

/** `tickflow enqueue`: POST /api/v1/jobs from the command line (the config's job types). */
export function registerEnqueue(program: Command): void {
  program
    .command("enqueue <type> [payload]")
    .description("enqueue a job of a type the config registers; prints its id")
    .option("-q, --queue <name>", "the queue (default: the type's)")
    .option("--delay <duration>", 'run after this long, e.g. "10m"')
    .option(
      "--key <key>",
      "idempotency key: while a job with it is unfinished, that job's id is printed instead",
    )
    .option("--priority <n>", "higher runs first")
    .option("--json", "print the job as JSON")
    .addHelpText(
      "after",
      `
The payload is JSON (default null). Examples:
  tickflow enqueue invoice.send '{"customer":"c-1"}'
  tickflow enqueue invoice.send '{"customer":"c-1"}' --key invoice-c-1 --delay 5m`,
    )
    .action(
      async (type: string, payloadText: string | undefined, options: EnqueueCliOptions, command: Command) => {
        let payload: unknown = null;
        if (payloadText !== undefined) {
          try {
            payload = JSON.parse(payloadText);
          } catch (error) {
            throw new CliError(`payload: not JSON (${(error as Error).message})`, "INVALID_PAYLOAD");
          }
        }
        const priority = options.priority === undefined ? undefined : Number(options.priority);
        const config = await loadCliConfig(command);
        const tickflow = await connect(config, async () => {
          const { createTickflow } = await loadTickflow();
          return createTickflow({ databaseUrl: config.database, jobs: config.jobs, concurrency: 1 });
        });
        try {
          await requireMigrated(tickflow);
          const id = await tickflow.enqueue(type, payload, {
            ...(options.queue === undefined ? {} : { queue: options.queue }),
            ...(options.delay === undefined ? {} : { delay: options.delay }),
            ...(options.key === undefined ? {} : { key: options.key }),
            ...(priority === undefined ? {} : { priority }),
          });
          if (!options.json) return void console.log(id);
          const { jobView } = await import("../../http/routes/jobs-view.ts");
          printJson(jobView((await tickflow.getJob(id))!));
        } finally {
          await tickflow.stop();
        }
      },
    );
}
