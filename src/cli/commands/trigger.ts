import { Writable } from "node:stream";
import type { Command } from "commander";
import type { ResolvedConfig } from "../../config/schema.ts";
import { formatDuration, parseDuration } from "../../core/duration.ts";
import { validateFlowName } from "../../core/names.ts";
import { UnknownFlowError } from "../../errors.ts";
import { DEFAULT_FLOWS_DIR, loadFlowsFromDir } from "../../flows/load-flows.ts";
import type { FlowRunRow, JobRow } from "../../store/ports/rows.ts";
import type { Tickflow } from "../../tickflow.ts";
import { CliError, connect, loadCliConfig, loadTickflow } from "../common.ts";
import { printJson } from "../output.ts";
import { ProgressLine } from "../progress.ts";

interface TriggerOptions {
  wait?: boolean;
  work: boolean;
  timeout?: string;
  json?: boolean;
}

/** How often `--wait` reads the run (it is a cheap indexed read). */
const POLL_MS = 200;
/** With --no-work: say so when nothing picked the run up for this long. */
const NOBODY_HINT_MS = 10_000;

export function registerTrigger(program: Command): void {
  program
    .command("trigger <flow>")
    .description("trigger a data flow now and print the run id")
    .option("-w, --wait", "follow the run to its end (retries included); exit non-zero if it failed")
    .option(
      "--no-work",
      "with --wait: only follow; leave the run to a running tickflow start/worker (by default this process also works the flow's queue while it waits)",
    )
    .option(
      "--timeout <duration>",
      'with --wait: stop following after this long, e.g. "10m" (exit 1; the run goes on)',
    )
    .option("--json", "print the run as JSON instead of its id (with --wait: the finished run)")
    .addHelpText(
      "after",
      `
The flow is found in the store or, when it was never stored (tickflow start stores the flows of
the flows folder), in the flows folder, and stored first. Examples:
  tickflow trigger nightly-export            prints the run id; a running tickflow start runs it
  tickflow trigger nightly-export --wait     runs it here (or wherever it is claimed first) and waits`,
    )
    .action(async (flow: string, options: TriggerOptions, command: Command) => {
      const name = validateFlowName(flow);
      const timeoutMs = options.timeout === undefined ? null : parseDuration(options.timeout, "--timeout");
      const config = await loadCliConfig(command);
      const flowsDir = config.flowsDir ?? DEFAULT_FLOWS_DIR;
      const local = [
        ...config.flows,
        ...(await loadFlowsFromDir(flowsDir, { optional: config.flowsDir === undefined })),
      ];
      const tickflow = await connect(config, async () => {
        const { createTickflow } = await loadTickflow();
        const t = await createTickflow({ databaseUrl: config.database, concurrency: 1 });
        try {
          await t.migrate();
        } catch (error) {
          await t.stop().catch(() => undefined);
          throw error;
        }
        return t;
      });
      try {
        const here = local.find((f) => f.name === name);
        if (here) await tickflow.flows.storeIfNew(here);
        const answer = await tickflow.flows.trigger(name, { source: "manual" }).catch(async (error) => {
          if (!(error instanceof UnknownFlowError)) throw error;
          const known = [...new Set([...(await storedNames(tickflow)), ...local.map((f) => f.name)])].sort();
          throw new CliError(
            `unknown flow "${name}": it is neither stored nor defined in ${flowsDir} (known: ${known.length > 0 ? known.join(", ") : "none"})`,
            "UNKNOWN_FLOW",
          );
        });
        if (!options.wait) {
          const { runView } = await import("../../http/routes/flows.ts");
          if (options.json) printJson(runView((await tickflow.flows.run(answer.runId))!));
          else console.log(answer.runId);
          if (process.stderr.isTTY) {
            process.stderr.write(
              `run ${answer.runId} of "${name}" is queued on "${answer.queue}": a running tickflow start (or worker) runs it; --wait follows it\n`,
            );
          }
          return;
        }
        if (!options.json) console.log(answer.runId);
        // Working the queue here needs the flow's code here: without it the run would fail.
        const definedHere = local.some((f) => f.name === name);
        if (options.work && !definedHere) {
          process.stderr.write(
            `flow "${name}" is not defined in ${flowsDir} here: following only; a tickflow start or worker with its code runs it\n`,
          );
        }
        await follow(
          tickflow,
          config,
          { name, ...answer },
          { ...options, work: options.work && definedHere },
          timeoutMs,
        );
      } finally {
        await tickflow.stop().catch(() => undefined);
      }
    });
}

async function storedNames(tickflow: Tickflow): Promise<string[]> {
  return (await tickflow.queries.listFlows()).filter((f) => f.removedAt === null).map((f) => f.name);
}

type Outcome = { status: "success" | "failed"; run: FlowRunRow; message: string };

/**
 * `--wait`: reads the run (and its retries: every run of the flow-run job) until the job is done.
 * Unless `--no-work`, a worker on the flow's queue runs in this process meanwhile, so no server is
 * needed; with one running, whichever claims the run first executes it.
 */
async function follow(
  tickflow: Tickflow,
  config: ResolvedConfig,
  answer: { name: string; runId: string; jobId: string; queue: string },
  options: TriggerOptions,
  timeoutMs: number | null,
): Promise<void> {
  const progress = new ProgressLine();
  // Logs (the flow's own among them) go to stderr, above the progress line.
  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      progress.write(chunk);
      done();
    },
  });
  const worker = options.work
    ? await connect(config, async () => {
        const [{ createLogger }, { serviceFromConfig }] = await Promise.all([
          import("../../logger.ts"),
          import("../run-service.ts"),
        ]);
        const logger = createLogger({ ...config.log, destination: logTo });
        const service = await serviceFromConfig(
          { ...config, concurrency: 1, queues: [answer.queue] },
          logger,
        );
        await service.tickflow.start({ worker: true, scheduler: false });
        return service.tickflow;
      })
    : undefined;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const started = Date.now();
  let hinted = false;
  let outcome: Outcome | undefined;
  try {
    for (;;) {
      const runs = await tickflow.flows.runs({ jobId: answer.jobId, limit: 100 });
      const job = await tickflow.getJob(answer.jobId);
      const latest = runs[0] ?? (await tickflow.flows.run(answer.runId))!;
      outcome = decide(latest, job);
      if (outcome) break;
      const elapsed = Date.now() - started;
      progress.update(describe(answer.name, latest, job, elapsed));
      if (!options.work && !hinted && latest.status === "pending" && elapsed > NOBODY_HINT_MS) {
        hinted = true;
        progress.write(
          `run ${latest.id} is still pending after ${formatDuration(elapsed)}: is a tickflow start or worker working queue "${answer.queue}"?\n`,
        );
      }
      if (interrupted) {
        progress.clear();
        throw new CliError(
          `stopped following run ${latest.id} of "${answer.name}" (${latest.status}); it goes on: tickflow runs --flow ${answer.name}`,
          "INTERRUPTED",
        );
      }
      if (timeoutMs !== null && elapsed >= timeoutMs) {
        progress.clear();
        throw new CliError(
          `run ${latest.id} of "${answer.name}" did not finish within ${formatDuration(timeoutMs)} (${latest.status}); it goes on: tickflow runs --flow ${answer.name}`,
          "TIMEOUT",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.clear();
    await worker?.stop();
  }
  const { runView } = await import("../../http/routes/flows.ts");
  if (options.json) printJson(runView(outcome.run));
  if (outcome.status === "failed") throw new CliError(outcome.message, "FLOW_RUN_FAILED");
  if (process.stderr.isTTY) process.stderr.write(`✔ ${outcome.message}\n`);
}

const FINISHED_JOB = new Set<JobRow["state"]>(["succeeded", "discarded", "cancelled"]);

/** Whether the trigger is over: its newest run succeeded, or failed with no retry to come. */
function decide(latest: FlowRunRow, job: JobRow | null): Outcome | undefined {
  const attempts = job ? ` (attempt ${latest.attempt} of ${job.maxAttempts})` : "";
  if (latest.status === "success") {
    const took = latest.durationMs === null ? "" : ` in ${formatDuration(latest.durationMs)}`;
    return {
      status: "success",
      run: latest,
      message: `flow "${latest.flow}" run ${latest.id} succeeded${took}${attempts}`,
    };
  }
  const jobDone = job === null || FINISHED_JOB.has(job.state);
  if (!jobDone) return undefined;
  const error = (latest.errorMessage ?? job?.lastError ?? `its job was ${job?.state ?? "deleted"}`).split(
    "\n",
  )[0];
  return {
    status: "failed",
    run: latest,
    message: `flow "${latest.flow}" failed: run ${latest.id}${attempts}: ${error}`,
  };
}

function describe(name: string, run: FlowRunRow, job: JobRow | null, elapsed: number): string {
  const attempt = job ? `attempt ${run.attempt}/${job.maxAttempts}` : `attempt ${run.attempt}`;
  const since = formatDuration(elapsed);
  if (run.status === "in_progress") return `${name} run ${run.id}: in progress (${attempt}) ${since}`;
  if (run.status === "pending" && job?.state === "retry_scheduled") {
    return `${name} run ${run.id}: retry ${attempt} at ${new Date(job.runAt).toISOString()} (last: ${(job.lastError ?? "").split("\n")[0]}) ${since}`;
  }
  return `${name} run ${run.id}: ${run.status} (${attempt}, queue ${job?.queue ?? "?"}) ${since}`;
}
