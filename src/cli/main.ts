import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerAlerts } from "./commands/alerts.ts";
import { registerChecks } from "./commands/checks.ts";
import { registerExec } from "./commands/exec.ts";
import { registerFlows } from "./commands/flows.ts";
import { registerInit } from "./commands/init.ts";
import { registerLimits } from "./commands/limits.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerNew } from "./commands/new.ts";
import { registerSchedules } from "./commands/schedules.ts";
import { registerStart } from "./commands/start.ts";
import { registerStatus } from "./commands/status.ts";
import { registerTrigger } from "./commands/trigger.ts";
import { cliErrorMessage } from "./common.ts";

/** The version in the package.json next to src/ (the installed package's own). */
function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

const program = new Command()
  .name("tickflow")
  .description("A durable job scheduler: jobs, schedules, data flows and heartbeats on SQLite or PostgreSQL.")
  .version(packageVersion(), "-V, --version", "print the tickflow version")
  .option("-c, --config <file>", "config file (default ./tickflow.config.ts, or TICKFLOW_CONFIG)")
  .showHelpAfterError()
  .exitOverride();

registerStart(program);
registerMigrate(program);
registerSchedules(program);
registerStatus(program);
registerFlows(program);
registerLimits(program);
registerTrigger(program);
registerChecks(program);
registerAlerts(program);
registerExec(program);
registerInit(program);
registerNew(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // One clear line; the stack only helps for bugs, not for bad input.
  const message = cliErrorMessage(error);
  process.stderr.write(`tickflow: ${message}\n`);
  process.exit(1);
}
