import type { Command } from "commander";
import { loadConfig } from "../../config/load.ts";
import { countTicks } from "../../core/tick-vocabulary.ts";
import { describeTrigger } from "../../core/triggers.ts";
import { createTickflow, type Tickflow } from "../../tickflow.ts";
import { iso, printJson, printTable } from "../output.ts";

/** Opens the configured store directly: listing needs no running server. */
async function withTickflow<T>(command: Command, fn: (tickflow: Tickflow) => Promise<T>): Promise<T> {
  const config = await loadConfig({ file: command.optsWithGlobals().config });
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
        // The one vocabulary (core/tick-vocabulary, core/schedule-health), as every surface shows it.
        const reports = await tickflow.scheduleReports({ ticks: 30 });
        if (options.json) {
          printJson(
            reports.map((r) => ({
              ...r.schedule,
              health: r.health,
              counts: countTicks(r.ticks),
              lastTick: r.ticks[0] ?? null,
            })),
          );
          return;
        }
        printTable(
          reports.map(({ schedule: s, ticks, health }) => {
            const last = ticks[0];
            const c = countTicks(ticks);
            return {
              key: s.id,
              health: health.status,
              job: s.jobType,
              trigger: describeTrigger(s.trigger),
              misfire: s.misfire,
              paused: s.paused ? "yes" : "no",
              next: iso(s.nextFireAt),
              last: iso(last?.nominalAt),
              "last decision": last ? `${last.decision}${last.reason ? ` (${last.reason})` : ""}` : null,
              outcome: last?.outcome ? `${last.outcome}${last.late ? ", late" : ""}` : null,
              "lateness ms": last?.latenessMs ?? null,
              "recent 30": `${c.missed} missed, ${c.skipped} skipped, ${c.failed} failed, ${c.late} late`,
            };
          }),
          [
            "key",
            "health",
            "job",
            "trigger",
            "misfire",
            "paused",
            "next",
            "last",
            "last decision",
            "outcome",
            "lateness ms",
            "recent 30",
          ],
        );
      });
    });

  schedules
    .command("ticks <key>")
    .description(
      "show a schedule's recent ticks: decision (fired, missed, skipped) and outcome, with lateness",
    )
    .option("--limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (key: string, options: { limit: string; json?: boolean }, command: Command) => {
      await withTickflow(command, async (tickflow) => {
        const { ticks } = await tickflow.tickPage(key, { limit: Number(options.limit) });
        // `schedules` has a --json of its own, which commander gives the flag to when both match.
        if (options.json || command.optsWithGlobals().json) return printJson(ticks);
        printTable(
          ticks.map((t) => ({
            nominal: iso(t.nominalAt),
            decision: t.decision,
            outcome: t.outcome ? `${t.outcome}${t.late ? ", late" : ""}` : t.late ? "late" : null,
            reason: t.reason,
            job: t.jobId,
            "lateness ms": t.latenessMs,
            "duration ms": t.durationMs,
          })),
          ["nominal", "decision", "outcome", "reason", "job", "lateness ms", "duration ms"],
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
