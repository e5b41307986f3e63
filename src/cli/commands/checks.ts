import type { Command } from "commander";
import { describeTrigger } from "../../core/triggers.ts";
import { loadCliConfig, withReader } from "../common.ts";
import { printJson, printTable } from "../output.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function registerChecks(program: Command): void {
  program
    .command("checks")
    .description("list check-ins: state (new, up, late, down), last ping, run time, when due")
    .option("--json", "print JSON")
    .option("--show-tokens", "also print each generated token's ping path (a secret: /ping/<token>)")
    .action(async (options: { json?: boolean; showTokens?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      await withReader(config, async (tickflow) => {
        const rows = new Map((await tickflow.queries.listChecks()).map((r) => [r.key, r]));
        const checks = (await tickflow.checks.status()).map((c) => {
          const token = rows.get(c.key)?.generatedToken ?? null;
          return {
            key: c.key,
            state: c.state,
            expects: `${describeTrigger(c.trigger)} + ${Math.round(c.graceMs / 1000)}s grace`,
            lastPing: iso(Math.max(c.lastEndAt ?? 0, c.lastStartAt ?? 0) || null),
            lastRunMs: c.lastDurationMs,
            dueAt: iso(c.dueAt),
            ...(options.showTokens ? { pingPath: token ? `/ping/${token}` : "(configured token)" } : {}),
          };
        });
        if (options.json) return printJson(checks);
        const columns = ["key", "state", "expects", "lastPing", "lastRunMs", "dueAt"];
        printTable(checks, options.showTokens ? [...columns, "pingPath"] : columns);
      });
    });
}
