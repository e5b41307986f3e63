import type { Command } from "commander";
import { describeTrigger } from "../../core/triggers.ts";
import type { Tickflow } from "../../tickflow.ts";
import { loadCliConfig, loadTickflow } from "../common.ts";
import { iso, printJson, printTable } from "../output.ts";

/** Opens the configured store directly: listing needs no running server. */
async function withTickflow<T>(command: Command, fn: (tickflow: Tickflow) => Promise<T>): Promise<T> {
  const config = await loadCliConfig(command);
  const { createTickflow } = await loadTickflow();
  const tickflow = await createTickflow({ databaseUrl: config.database });
  try {
    await tickflow.store.migrate();
    return await fn(tickflow);
  } finally {
    await tickflow.stop();
  }
}

export function registerSchedules(program: Command): void {
  const schedules = program
    .command("schedules")
    .description("list stored schedules with their next and last run")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withTickflow(command, async (tickflow) => {
        const rows = await tickflow.schedules();
        if (options.json) {
          printJson(rows);
          return;
        }
        printTable(
          rows.map((s) => ({
            key: s.id,
            job: s.jobType,
            trigger: describeTrigger(s.trigger),
            misfire: s.misfire,
            paused: s.paused ? "yes" : "no",
            next: iso(s.nextFireAt),
            last: iso(s.lastTick?.nominalAt),
            "last decision": s.lastTick
              ? `${s.lastTick.decision}${s.lastTick.reason ? ` (${s.lastTick.reason})` : ""}`
              : null,
            "lateness ms":
              s.lastTick?.startedAt !== null && s.lastTick?.startedAt !== undefined
                ? s.lastTick.startedAt - s.lastTick.nominalAt
                : null,
          })),
          ["key", "job", "trigger", "misfire", "paused", "next", "last", "last decision", "lateness ms"],
        );
      });
    });

  schedules
    .command("ticks <key>")
    .description("show a schedule's recent ticks: fired, missed and skipped, with lateness")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (key: string, options: { limit: string; json?: boolean }, command: Command) => {
      await withTickflow(command, async (tickflow) => {
        const ticks = await tickflow.listTicks(key, { limit: Number(options.limit) });
        if (options.json) return printJson(ticks);
        printTable(
          ticks.map((t) => ({
            nominal: iso(t.nominalAt),
            decision: t.decision,
            reason: t.reason,
            job: t.jobId,
            "lateness ms": t.startedAt === null ? null : t.startedAt - t.nominalAt,
          })),
          ["nominal", "decision", "reason", "job", "lateness ms"],
        );
      });
    });

  for (const [name, paused] of [
    ["pause", true],
    ["resume", false],
  ] as const) {
    schedules
      .command(`${name} <key>`)
      .description(`${name} a schedule (stored; paused ticks are recorded as skipped)`)
      .action(async (key: string, _options, command: Command) => {
        await withTickflow(command, async (tickflow) => {
          const row = paused ? await tickflow.pauseSchedule(key) : await tickflow.resumeSchedule(key);
          console.log(`${row.id} ${row.paused ? "paused" : "resumed"}`);
        });
      });
  }

  schedules
    .command("preview <key>")
    .description("show the next fire times of a stored schedule")
    .option("-n, --count <n>", "how many", "5")
    .action(async (key: string, options: { count: string }, command: Command) => {
      await withTickflow(command, async (tickflow) => {
        for (const at of await tickflow.previewRuns(key, Number(options.count)))
          console.log(at.toISOString());
      });
    });
}
