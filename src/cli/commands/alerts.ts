import type { Command } from "commander";
import type { ResolvedConfig } from "../../config/schema.ts";
import { silentLogger } from "../../logger.ts";
import type { Tickflow } from "../../tickflow.ts";
import { connect, loadCliConfig, requireDatabaseFile, requireMigrated, withReader } from "../common.ts";
import { iso, printJson, printTable } from "../output.ts";

/** A Tickflow with the config's alert rules (silences are checked against them), not started. */
async function withRules<T>(config: ResolvedConfig, fn: (tickflow: Tickflow) => Promise<T>): Promise<T> {
  requireDatabaseFile(config);
  const { tickflowFromConfig } = await import("../run-service.ts");
  const tickflow = await connect(config, () => tickflowFromConfig(config, silentLogger));
  try {
    await requireMigrated(tickflow);
    return await fn(tickflow);
  } finally {
    await tickflow.stop().catch(() => undefined);
  }
}

/** `tickflow incidents`, `tickflow incident <id>`, `tickflow silences`, `tickflow silence`, `tickflow unsilence <id>`. */
export function registerAlerts(program: Command): void {
  program
    .command("incidents")
    .description("list alert incidents, newest first")
    .option("--open", "only open incidents")
    .option("--json", "print JSON")
    .action(async (options: { open?: boolean; json?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      await withReader(config, async (tickflow) => {
        const incidents = await tickflow.alerts.incidents(options.open ? { status: "open" } : {});
        if (options.json) return printJson(incidents);
        printTable(
          incidents.map((i) => ({
            id: i.id,
            status: i.status,
            rule: i.rule,
            subject: i.subject,
            opened: iso(i.openedAt),
            resolved: iso(i.resolvedAt),
            summary: i.summary,
          })),
          ["id", "status", "rule", "subject", "opened", "resolved", "summary"],
        );
      });
    });

  program
    .command("incident <id>")
    .description("one incident with its deliveries and every delivery attempt")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      await withReader(config, async (tickflow) => {
        const { incident, deliveries } = await tickflow.alerts.incident(id);
        const attempts = await Promise.all(deliveries.map((d) => tickflow.alerts.attempts(d.id)));
        if (options.json)
          return printJson({
            incident,
            deliveries: deliveries.map((d, i) => ({ ...d, attempts: attempts[i] })),
          });
        console.log(
          `incident ${incident.id}: ${incident.rule} on ${incident.subject} — ${incident.status}\n${incident.summary}\n`,
        );
        printTable(
          deliveries.flatMap((d, i) =>
            (attempts[i]!.length ? attempts[i]! : [null]).map((a) => ({
              event: `${d.event} #${d.seq}`,
              channel: d.channel,
              status: d.status,
              attempt: a?.attempt ?? null,
              at: iso(a?.at),
              result: a ? `${a.ok ? "ok" : "failed"}: ${a.detail}` : null,
            })),
          ),
          ["event", "channel", "status", "attempt", "at", "result"],
        );
      });
    });

  program
    .command("silences")
    .description("list silences (--active: only those in force)")
    .option("--active", "only silences in force now")
    .option("--json", "print JSON")
    .action(async (options: { active?: boolean; json?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      await withReader(config, async (tickflow) => {
        const silences = await tickflow.alerts.silences({ active: options.active });
        if (options.json) return printJson(silences);
        printTable(
          silences.map((s) => ({
            id: s.id,
            rule: s.rule,
            subject: s.subject,
            until: iso(s.until),
            reason: s.reason,
          })),
          ["id", "rule", "subject", "until", "reason"],
        );
      });
    });

  program
    .command("silence")
    .description("hold alert notifications back for a rule, a subject or both")
    .option("--rule <name>", "an alert rule of the config")
    .option("--subject <subject>", "e.g. schedule:nightly, check:backup, monitor:bank")
    .option("--for <duration>", 'how long, e.g. "2h"')
    .option("--until <time>", "until this ISO time instead")
    .requiredOption("--reason <text>", "why (shown with the silence)")
    .action(
      async (
        options: { rule?: string; subject?: string; for?: string; until?: string; reason: string },
        command: Command,
      ) => {
        const config = await loadCliConfig(command);
        await withRules(config, async (tickflow) => {
          const silence = await tickflow.alerts.silence({
            rule: options.rule,
            subject: options.subject,
            for: options.for,
            until: options.until === undefined ? undefined : Date.parse(options.until),
            reason: options.reason,
          });
          console.log(`silenced until ${iso(silence.until)} (id ${silence.id})`);
        });
      },
    );

  program
    .command("unsilence <id>")
    .description("end a silence now")
    .action(async (id: string, _options: unknown, command: Command) => {
      const config = await loadCliConfig(command);
      await withReader(config, async (tickflow) => {
        await tickflow.alerts.endSilence(id);
        console.log(`silence ${id} ended`);
      });
    });
}
