import { Command, CommanderError } from "commander";
import { TickflowError } from "../errors.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerSchedules } from "./commands/schedules.ts";
import { registerStart } from "./commands/start.ts";

const program = new Command()
  .name("tickflow")
  .description("A durable job scheduler: jobs, schedules, data flows and heartbeats on SQLite or PostgreSQL.")
  .option("-c, --config <file>", "config file (default ./tickflow.config.ts, or TICKFLOW_CONFIG)")
  .showHelpAfterError()
  .exitOverride();

registerStart(program);
registerMigrate(program);
registerSchedules(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // One clear line; the stack only helps for bugs, not for bad input.
  const message = error instanceof TickflowError ? error.message : `${(error as Error).stack ?? error}`;
  process.stderr.write(`tickflow: ${message}\n`);
  process.exit(1);
}
