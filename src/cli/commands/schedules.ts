import { type Command, Option } from "commander";
import { countTicks } from "../../core/tick-vocabulary.ts";
import { describeTrigger } from "../../core/triggers.ts";
import type { ScheduleFilter, ScheduleRow } from "../../store/ports/rows.ts";
import type { Tickflow } from "../../tickflow.ts";
import { CliError, loadCliConfig, positiveInt, withReader } from "../common.ts";
import { formatInZone, iso, printJson, printTable } from "../output.ts";
import { listFilter, registerRuntimeScheduleCommands } from "./schedules-runtime.ts";

/**
 * Opens the configured store directly (listing needs no running server) — an existing, migrated
 * one: these commands read or flip a flag, they never create or migrate a database.
 */
async function withTickflow<T>(command: Command, fn: (tickflow: Tickflow) => Promise<T>): Promise<T> {
  return withReader(await loadCliConfig(command), fn);
}

/** A stored schedule, or a one-line error naming the known ones (exit 1, as preview and pause do). */
async function requireSchedule(tickflow: Tickflow, key: string): Promise<ScheduleRow> {
  const row = await tickflow.queries.getSchedule(key);
  if (row) return row;
  const known = (await tickflow.queries.listSchedules()).map((s) => s.id);
  throw new CliError(
    `unknown schedule "${key}" (known: ${known.length ? known.join(", ") : "none"})`,
    "NOT_FOUND",
  );
}

interface ListOptions {
  json?: boolean;
  source?: string;
  owner?: string;
  tenant?: string;
  label?: string[];
}
const collectLabel = (value: string, previous: string[] = []) => [...previous, value];

/** `tickflow schedules`: every stored schedule in the one vocabulary, as a table or JSON. */
async function printSchedules(tickflow: Tickflow, json: boolean, filter: ScheduleFilter): Promise<void> {
  // The one vocabulary (core/tick-vocabulary, core/schedule-health), as every surface shows it.
  const reports = await tickflow.liveness.scheduleReports({ ticks: 30, filter });
  if (json) {
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
        trigger: s.trigger ? describeTrigger(s.trigger) : "unreadable",
        misfire: s.misfire,
        paused: s.paused ? "yes" : "no",
        broken: s.broken,
        next: iso(s.nextFireAt),
        last: iso(last?.nominalAt),
        "last decision": last ? `${last.decision}${last.reason ? ` (${last.reason})` : ""}` : null,
        outcome: last?.outcome ? `${last.outcome}${last.late ? ", late" : ""}` : null,
        "lateness ms": last?.latenessMs ?? null,
        "recent 30": `${c.missed} missed, ${c.skipped} skipped, ${c.failed} failed, ${c.late} late`,
        source: s.source,
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
      "source",
    ],
  );
}

export function registerSchedules(program: Command): void {
  const schedules = program
    .command("schedules")
    .description("list stored schedules with their next and last run")
    .option("--json", "print JSON")
    .option("--source <source>", "only code or runtime schedules")
    .option("--owner <owner>", "only this owner's")
    .option("--tenant <tenant>", "only this tenant's")
    .option("--label <name=value>", "only those with this label (repeatable)", collectLabel)
    .action(async (options: ListOptions, command: Command) => {
      const filter = listFilter(options);
      await withTickflow(command, (tickflow) => printSchedules(tickflow, options.json === true, filter));
    });

  schedules
    .command("ticks <key>")
    .description(
      "show a schedule's recent ticks: decision (fired, missed, skipped) and outcome, with lateness",
    )
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print JSON")
    .action(async (key: string, options: { limit: string; json?: boolean }, command: Command) => {
      const limit = positiveInt(options.limit, "--limit", 20);
      await withTickflow(command, async (tickflow) => {
        await requireSchedule(tickflow, key);
        const { ticks } = await tickflow.liveness.tickPage(key, { limit });
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

  registerRuntimeScheduleCommands(schedules);

  schedules
    .command("preview <key>")
    .description("show the next fire times of a stored schedule")
    .option("-n, --limit <n>", "how many", "5")
    .addOption(new Option("--count <n>", "the old name of --limit").hideHelp())
    .option("--json", "print JSON")
    .action(
      async (key: string, options: { limit: string; count?: string; json?: boolean }, command: Command) => {
        const count = positiveInt(options.count ?? options.limit, options.count ? "--count" : "--limit", 5);
        await withTickflow(command, async (tickflow) => {
          const row = await requireSchedule(tickflow, key);
          const times = await tickflow.previewRuns(key, count);
          // The schedule's own zone beside UTC: a DST change is visible where it happens.
          const zone = row.trigger?.kind === "cron" ? row.trigger.timezone : "UTC";
          if (options.json) {
            printJson(
              times.map((at) => ({ utc: at.toISOString(), zone, local: formatInZone(at.getTime(), zone) })),
            );
            return;
          }
          for (const at of times) {
            console.log(
              zone === "UTC"
                ? at.toISOString()
                : `${at.toISOString()}  ${formatInZone(at.getTime(), zone)} ${zone}`,
            );
          }
        });
      },
    );
}
