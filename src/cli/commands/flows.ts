import type { Command } from "commander";
import { FLOW_RUN_STATUSES, type FlowRunStatus } from "../../core/flow-run-state.ts";
import { isValidName } from "../../core/names.ts";
import { describeTrigger } from "../../core/triggers.ts";
import { CliError, loadCliConfig, positiveInt, withReader } from "../common.ts";
import { printJson, printTable } from "../output.ts";

const percent = (rate: number | null | undefined) =>
  rate === null || rate === undefined ? null : `${Math.round(rate * 100)}%`;
const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? null : `${value}ms`;

export function registerFlows(program: Command): void {
  program
    .command("flows")
    .description("list stored data flows: schedule, queue, last run, next run, success rate")
    .option("--json", "print JSON (each flow as GET /api/v1/flows shows it)")
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = await loadCliConfig(command);
      const { flowView } = await import("../../http/routes/flows.ts");
      await withReader(config, async (tickflow) => {
        // Read from the store only: `defined` (code loaded in this process) means nothing here.
        const flows = (await tickflow.flows.list()).map((flow) => {
          const { defined: _defined, ...view } = flowView(flow);
          return view;
        });
        if (options.json) {
          printJson(flows);
          return;
        }
        printTable(
          flows.map((f) => ({
            name: f.name,
            enabled: f.removedAt ? "removed" : f.enabled ? "yes" : "no",
            schedule: f.schedule ? describeTrigger(f.schedule) : "manual",
            queue: f.queue,
            retries: f.retries,
            "last run": f.lastRunAt,
            status: f.activeRun ? `${f.activeRun.status} (run ${f.activeRun.id})` : f.lastRunStatus,
            "next run": f.nextRunAt,
            success: percent(f.stats.successRate),
            p50: ms(f.stats.p50DurationMs),
          })),
          [
            "name",
            "enabled",
            "schedule",
            "queue",
            "retries",
            "last run",
            "status",
            "next run",
            "success",
            "p50",
          ],
        );
      });
    });

  program
    .command("runs")
    .description("list flow runs, newest first")
    .option("-f, --flow <name>", "only this flow's runs")
    .option(
      "-s, --status <status>",
      `only runs in these statuses (comma-separated: ${FLOW_RUN_STATUSES.join(", ")})`,
    )
    .option("-n, --limit <n>", "how many", "20")
    .option("--json", "print JSON (each run as GET /api/v1/runs shows it)")
    .action(
      async (
        options: { flow?: string; status?: string; limit: string; json?: boolean },
        command: Command,
      ) => {
        const limit = positiveInt(options.limit, "--limit", 20);
        const statuses = parseStatuses(options.status);
        if (options.flow !== undefined && !isValidName(options.flow)) {
          throw new CliError(`invalid flow name ${JSON.stringify(options.flow)}`, "INVALID_OPTION");
        }
        const config = await loadCliConfig(command);
        const { runView } = await import("../../http/routes/flows.ts");
        await withReader(config, async (tickflow) => {
          if (options.flow !== undefined && !(await tickflow.flows.get(options.flow))) {
            const known = (await tickflow.queries.listFlows()).map((f) => f.name);
            throw new CliError(
              `unknown flow "${options.flow}" (stored flows: ${known.length > 0 ? known.join(", ") : "none"})`,
              "UNKNOWN_FLOW",
            );
          }
          const runs = (await tickflow.flows.runs({ flow: options.flow, status: statuses, limit })).map(
            runView,
          );
          if (options.json) {
            printJson(runs);
            return;
          }
          printTable(
            runs.map((r) => ({
              id: r.id,
              flow: r.flow,
              status: r.status,
              source: r.source,
              attempt: r.attempt,
              created: r.createdAt,
              started: r.startedAt,
              duration: ms(r.durationMs),
              error: r.errorMessage ? firstLine(r.errorMessage, 60) : null,
            })),
            ["id", "flow", "status", "source", "attempt", "created", "started", "duration", "error"],
          );
        });
      },
    );
}

function parseStatuses(text: string | undefined): FlowRunStatus[] | undefined {
  if (text === undefined) return undefined;
  const statuses = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = statuses.filter((s) => !(FLOW_RUN_STATUSES as readonly string[]).includes(s));
  if (statuses.length === 0 || bad.length > 0) {
    throw new CliError(
      `--status: ${JSON.stringify(bad[0] ?? text)} is not a run status (use ${FLOW_RUN_STATUSES.join(", ")})`,
      "INVALID_OPTION",
    );
  }
  return statuses as FlowRunStatus[];
}

function firstLine(text: string, max: number): string {
  const line = text.split("\n")[0]!;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
