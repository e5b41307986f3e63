import type { Command } from "commander";
import { connect, loadCliConfig, loadTickflow } from "../common.ts";

/** `tickflow queues pause|resume <queue>`: POST /api/v1/queues/:queue/pause|resume from the command line. */
export function registerQueues(program: Command): void {
  const queues = program.command("queues").description("pause and resume queues on every process");
  for (const [verb, done, already] of [
    ["pause", "paused: its jobs wait until it is resumed", "was already paused"],
    ["resume", "resumed: its waiting jobs run again", "was not paused"],
  ] as const) {
    queues
      .command(`${verb} <queue>`)
      .description(`${verb} a queue for every process on the database`)
      .action(async (queue: string, _options: unknown, command: Command) => {
        const config = await loadCliConfig(command);
        const [{ createTickflow }, { queueControl }] = await Promise.all([
          loadTickflow(),
          import("../../queues.ts"),
        ]);
        const tickflow = await connect(config, () =>
          createTickflow({ databaseUrl: config.database, concurrency: 1 }),
        );
        try {
          await tickflow.migrate();
          const changed = await queueControl(tickflow)[verb](queue);
          console.log(`queue ${queue} ${changed ? done : already}`);
        } finally {
          await tickflow.stop();
        }
      });
  }
}
