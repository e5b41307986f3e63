import type { Command } from "commander";
import { loadCliConfig, loadTickflow } from "../common.ts";
import { withProgress } from "../progress.ts";

export function registerMigrate(program: Command): void {
  program
    .command("migrate")
    .description("apply pending database migrations (also done at startup)")
    .option("--dry-run", "list pending migrations without applying them")
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      const { createTickflow } = await loadTickflow();
      const tickflow = await createTickflow({ databaseUrl: config.database, concurrency: 1 });
      try {
        if (options.dryRun) {
          const pending = await tickflow.pendingMigrations();
          if (pending.length === 0) console.log("no pending migrations");
          for (const m of pending) console.log(`pending ${String(m.version).padStart(4, "0")}_${m.name}`);
          return;
        }
        const report = await withProgress("applying migrations", () => tickflow.migrate());
        for (const m of report.applied)
          console.log(`applied ${String(m.version).padStart(4, "0")}_${m.name}`);
        console.log(`schema at version ${report.version}`);
      } finally {
        await tickflow.stop();
      }
    });
}
