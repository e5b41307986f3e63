import type { Command } from "commander";
import { silentLogger } from "../../logger.ts";
import type { ScheduleFilter } from "../../store/ports/rows.ts";
import type { Tickflow } from "../../tickflow.ts";
import { CliError, connect, loadCliConfig, requireDatabaseFile, requireMigrated } from "../common.ts";
import { printJson, printTable } from "../output.ts";

/**
 * A Tickflow built from the configuration — its job types (a runtime schedule names one, and
 * takes its defaults) and its code schedules (what `diff` compares) — on an existing, migrated
 * store, running nothing.
 */
async function withConfigured<T>(command: Command, fn: (tickflow: Tickflow) => Promise<T>): Promise<T> {
  const config = await loadCliConfig(command);
  requireDatabaseFile(config);
  // Imported when the command runs: run-service brings the HTTP server, and `--help` must stay light.
  const { serviceFromConfig } = await import("../run-service.ts");
  const { tickflow } = await connect(config, () => serviceFromConfig(config, silentLogger));
  try {
    await requireMigrated(tickflow);
    return await fn(tickflow);
  } finally {
    await tickflow.stop().catch(() => undefined);
  }
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--label name=value` (repeatable) as labels; a malformed one is a one-line error. */
export function parseLabels(
  pairs: readonly string[] | undefined,
  option = "--label",
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0)
      throw new CliError(`${option} must be name=value, got ${JSON.stringify(pair)}`, "INVALID_OPTION");
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

/** The listing filter options of `tickflow schedules`. */
export function listFilter(options: {
  source?: string;
  owner?: string;
  tenant?: string;
  label?: string[];
}): ScheduleFilter {
  if (options.source !== undefined && options.source !== "code" && options.source !== "runtime")
    throw new CliError(
      `--source must be code or runtime, got ${JSON.stringify(options.source)}`,
      "INVALID_OPTION",
    );
  const source = options.source as ScheduleFilter["source"];
  return { source, owner: options.owner, tenant: options.tenant, labels: parseLabels(options.label) };
}

function parsePayload(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`--payload must be JSON, got ${JSON.stringify(text)}`, "INVALID_OPTION");
  }
}

interface SetOptions {
  job: string;
  cron?: string;
  every?: string;
  at?: string;
  timezone?: string;
  payload?: string;
  misfire?: string;
  overlap?: string;
  grace?: string;
  tolerance?: string;
  queue?: string;
  owner?: string;
  tenant?: string;
  label?: string[];
}

/** `tickflow schedules set|rm|diff`: runtime schedules and what a start of this code would change. */
export function registerRuntimeScheduleCommands(schedules: Command): void {
  schedules
    .command("set <key>")
    .description("create or change a runtime schedule (validated as defineSchedule is)")
    .requiredOption("--job <type>", "the job type each tick enqueues")
    .option("--cron <expr>", "cron expression (5 fields, or 6 with seconds)")
    .option("--every <duration>", "fixed interval, e.g. 30s, 5m")
    .option("--at <time>", "one instant (ISO date-time)")
    .option("--timezone <zone>", "IANA time zone of the cron expression")
    .option("--payload <json>", "the payload each fire gets (JSON)")
    .option("--misfire <policy>", "skip | latest | all")
    .option("--overlap <policy>", "allow | skip")
    .option("--grace <duration>", "with misfire all: how far back missed ticks still run")
    .option("--tolerance <duration>", "how late a tick may start and count as on time")
    .option("--queue <name>", "queue of the fired jobs")
    .option("--owner <owner>", "metadata: owner")
    .option("--tenant <tenant>", "metadata: tenant")
    .option("--label <name=value>", "metadata: a label (repeatable)", collect)
    .action(async (key: string, _own: SetOptions, command: Command) => {
      // --owner, --tenant and --label are also `schedules`' filters, which take them when given
      // after `set` too: read them merged.
      const o = command.optsWithGlobals() as SetOptions;
      const labels = parseLabels(o.label);
      const payload = parsePayload(o.payload);
      await withConfigured(command, async (tickflow) => {
        const result = await tickflow.schedules.upsert({
          key,
          job: o.job,
          ...(o.cron !== undefined && { cron: o.cron }),
          ...(o.every !== undefined && { every: o.every }),
          ...(o.at !== undefined && { at: o.at }),
          ...(o.timezone !== undefined && { timezone: o.timezone }),
          ...(payload !== undefined && { payload }),
          ...(o.misfire !== undefined && { misfire: o.misfire as never }),
          ...(o.overlap !== undefined && { overlap: o.overlap as never }),
          ...(o.grace !== undefined && { grace: o.grace }),
          ...(o.tolerance !== undefined && { tolerance: o.tolerance }),
          ...(o.queue !== undefined && { queue: o.queue }),
          ...(o.owner !== undefined && { owner: o.owner }),
          ...(o.tenant !== undefined && { tenant: o.tenant }),
          ...(Object.keys(labels).length > 0 && { labels }),
        });
        const what = result.changed.length > 0 ? ` (${result.changed.join(", ")})` : "";
        console.log(`${key} ${result.status}${what}`);
      });
    });

  schedules
    .command("rm <key>")
    .description("remove a runtime schedule (its tick history stays)")
    .action(async (key: string, _options, command: Command) => {
      await withConfigured(command, async (tickflow) => {
        await tickflow.schedules.remove(key);
        console.log(`${key} removed`);
      });
    });

  schedules
    .command("diff")
    .description("what starting this code would create, change, pause and remove (writes nothing)")
    .option("--json", "print JSON")
    .option("--exit-code", "exit 1 when starting this code would change something")
    .action(async (options: { json?: boolean; exitCode?: boolean }, command: Command) => {
      await withConfigured(command, async (tickflow) => {
        const diff = await tickflow.diffSchedules();
        const rows = [
          ...diff.create.map((c) => ({ action: "create", key: c.key, detail: `${c.job}, ${c.trigger}` })),
          ...diff.change.map((c) => ({ action: "change", key: c.key, detail: c.fields.join(", ") })),
          ...diff.pause.map((key) => ({ action: "pause", key, detail: "its flow is disabled" })),
          ...diff.remove.map((r) => ({
            action: "remove",
            key: r.key,
            detail: `${r.job}, no longer declared`,
          })),
          ...diff.conflicts.map((key) => ({
            action: "conflict",
            key,
            detail: "stored as a runtime schedule: left as it is",
          })),
        ];
        const changes = rows.filter((r) => r.action !== "conflict").length;
        if (options.exitCode && diff.applies && changes > 0) process.exitCode = 1;
        // `schedules` has a --json of its own, which takes the flag when given after `diff` too.
        if (options.json || command.optsWithGlobals().json) return printJson(diff);
        console.log(deployLine(diff.deploy));
        if (rows.length === 0) console.log("no changes: the stored code schedules match this code");
        else printTable(rows, ["action", "key", "detail"]);
      });
    });
}

function deployLine(d: Awaited<ReturnType<Tickflow["diffSchedules"]>>["deploy"]): string {
  if (d.role === "older") {
    return `code version ${d.codeHash} (version ${d.version}) is older than the live ${d.newest.codeHash} (version ${d.newest.version}): starting it would change nothing; below is what it declares differently`;
  }
  if (d.registered === "same") return `code version ${d.codeHash} (version ${d.version}, the newest)`;
  const over = d.previous ? ` over ${d.previous.codeHash} (version ${d.previous.version})` : "";
  return `code version ${d.codeHash}: starting it makes it version ${d.version}, the newest${over}`;
}
