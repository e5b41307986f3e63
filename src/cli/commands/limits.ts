import type { Command } from "commander";
import type { LimitUsageRow } from "../../store/ports/rows.ts";
import { loadCliConfig, withReader } from "../common.ts";
import { printJson, printTable } from "../output.ts";

const caps = (l: LimitUsageRow) =>
  [
    l.concurrency !== null ? `${l.concurrency} at once` : null,
    l.perKey !== null ? `${l.perKey} per key` : null,
    l.rate ? `${l.rate.limit} per ${l.rate.periodMs} ms${l.rate.perKey ? " per key" : ""}` : null,
  ]
    .filter((c) => c !== null)
    .join(", ");

const waitingWhy = (l: LimitUsageRow) =>
  Object.entries(l.waitingBy)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(", ");

/** `tickflow limits` and `tickflow types [disable|enable <type>]` (docs/limits.md). */
export function registerLimits(program: Command): void {
  program
    .command("limits")
    .description("show the config's limits with their usage: running, tokens left, waiting jobs and why")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withReader(await loadCliConfig(command), async (tickflow) => {
        const usage = await tickflow.limits.usage();
        if (options.json) return printJson(usage);
        printTable(
          usage.map((l) => ({
            limit: l.name,
            caps: caps(l),
            running: l.running,
            "tokens left": l.tokens === null ? null : Math.floor(l.tokens),
            waiting: l.waiting,
            why: waitingWhy(l),
            "busiest keys": l.keys
              .slice(0, 3)
              .map((k) => `${k.key} ${k.running}/${k.waiting}`)
              .join(", "),
          })),
          ["limit", "caps", "running", "tokens left", "waiting", "why", "busiest keys"],
        );
      });
    });

  const types = program
    .command("types")
    .description("list job types disabled cluster-wide")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withReader(await loadCliConfig(command), async (tickflow) => {
        const disabled = await tickflow.limits.disabledTypes();
        if (options.json) return printJson(disabled);
        printTable(
          disabled.map((t) => ({ type: t.type, "disabled at": new Date(t.pausedAt).toISOString() })),
          ["type", "disabled at"],
        );
      });
    });
  for (const [name, disable] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    types
      .command(`${name} <type>`)
      .description(
        `${name} a job type for every process (stored; its jobs ${disable ? "wait" : "start again"})`,
      )
      .action(async (type: string, _options, command: Command) => {
        await withReader(await loadCliConfig(command), async (tickflow) => {
          const changed = disable
            ? await tickflow.limits.disableType(type)
            : await tickflow.limits.enableType(type);
          console.log(`${type} ${disable ? "disabled" : "enabled"}${changed ? "" : " (already)"}`);
        });
      });
  }
}
