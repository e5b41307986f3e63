import { DEFAULT_BACKOFF } from "../../core/backoff.ts";
import { formatDuration } from "../../core/duration.ts";
import { isValidName } from "../../core/names.ts";
import { InvalidOptionError } from "../../errors.ts";
import { DEFAULT_FLOW_QUEUE, DEFAULT_FLOW_RETRIES } from "../../flows/define-flow.ts";

export interface FlowTemplateOptions {
  name: string;
  /** The module `defineFlow` (and, in the test, `createTickflow`) is imported from. Default "tickflow". */
  importFrom?: string;
  /** A cron expression or interval; omitted: the schedule line is written commented out. */
  schedule?: string;
  queue?: string;
  retries?: number;
  /** The TypeScript extension of the generated files: "mts" in a CommonJS package. Default "ts". */
  ext?: "ts" | "mts";
}

/**
 * A flow name the generator accepts: a valid flow name (1–64 letters, digits, `_ - .`) that also
 * makes a file the flows folder loads — not `_x` or `.x` (skipped as private), not `x.test`,
 * `x.spec` or `x.d` (skipped as tests and declarations). Throws a message saying why.
 */
export function validateGeneratedFlowName(name: string): string {
  if (!isValidName(name)) {
    throw new InvalidOptionError(
      `invalid flow name ${JSON.stringify(name)}: use 1-64 letters, digits, "_", "-" or "." (e.g. nightly-export)`,
    );
  }
  if (/^[_.]/.test(name)) {
    throw new InvalidOptionError(
      `invalid flow name ${JSON.stringify(name)}: flow files starting with "_" or "." are not loaded; start with a letter or digit`,
    );
  }
  if (/\.(test|spec|d)$/.test(name)) {
    throw new InvalidOptionError(
      `invalid flow name ${JSON.stringify(name)}: files ending in .test, .spec or .d are not loaded as flows`,
    );
  }
  return name;
}

/** `flows/<name>.ts`: the flow, with its options at their defaults and what each does. */
export function renderFlowFile(options: FlowTemplateOptions): string {
  const { name } = options;
  const importFrom = options.importFrom ?? "tickflow";
  const queue = options.queue ?? DEFAULT_FLOW_QUEUE;
  const retries = options.retries ?? DEFAULT_FLOW_RETRIES;
  const schedule = options.schedule
    ? `  schedule: ${JSON.stringify(options.schedule)},`
    : '  // schedule: "0 2 * * *",';
  const base = formatDuration(DEFAULT_BACKOFF.baseMs);
  const max = formatDuration(DEFAULT_BACKOFF.maxMs);
  return `// The "${name}" data flow, written by \`tickflow new flow ${name}\`. Every run is recorded
// (tickflow runs --flow ${name}); a flow never has two runs at once, across every process.
// Run it now: tickflow trigger ${name} --wait. Its test: ${name}.test.ts next to this file.
import { defineFlow } from ${JSON.stringify(importFrom)};

export default defineFlow({
  // The flow's identity across deploys: 1-64 letters, digits, "_", "-" or ".".
  name: ${JSON.stringify(name)},

  // When it runs by itself: a cron expression in UTC ("0 2 * * *": 02:00 every day), an interval
  // ("15m"), or { cron: "0 2 * * *", timezone: "Europe/Berlin" }. Without one the flow runs only
  // when triggered: tickflow trigger ${name}, POST /api/v1/flows/${name}/trigger, or POST /heartbeat.
${schedule}

  // The queue its runs wait in (default "${DEFAULT_FLOW_QUEUE}"); \`tickflow worker --queues\` picks queues.
  queue: ${JSON.stringify(queue)},

  // Retries after a failed attempt, each a new run row (default ${DEFAULT_FLOW_RETRIES}: ${DEFAULT_FLOW_RETRIES + 1} attempts in all).
  retries: ${retries},

  // Per-attempt time limit: ctx.signal aborts and the run fails (default: none).
  // timeout: "10m",

  // Delay between attempts (default: exponential from ${base}, doubling up to ${max}, with jitter).
  // backoff: { type: "exponential", base: "${base}", max: "${max}" },

  async run(ctx) {
    // ctx: flow, runId, jobId, attempt, maxAttempts, source ("schedule", "manual", "api",
    // "heartbeat"), scheduledFor, signal, logger. Throw to fail the run (it is retried).
    ctx.logger.info(\`${name}: attempt \${ctx.attempt} of \${ctx.maxAttempts} (\${ctx.source})\`);
    // Your work here. Pass ctx.signal on (fetch, database drivers): it aborts at the timeout and
    // at shutdown, e.g. await fetch(url, { signal: ctx.signal }).
  },
});
`;
}

/**
 * `flows/<name>.test.ts`: runs the flow through a real tickflow on an in-memory SQLite store and
 * checks that its run ends in success. Passes as generated.
 */
export function renderFlowTest(options: FlowTemplateOptions): string {
  const { name } = options;
  const importFrom = options.importFrom ?? "tickflow";
  const ext = options.ext ?? "ts";
  return `// Tests for the "${name}" flow, written by \`tickflow new flow ${name}\`.
// Run: node --import tsx --test flows/${name}.test.${ext}
import assert from "node:assert/strict";
import { test } from "node:test";
import { createTickflow } from ${JSON.stringify(importFrom)};
import flow from "./${name}.${ext}";

test("${name}: a triggered run ends in success", async () => {
  // A real tickflow on an in-memory SQLite store: nothing is written to disk.
  const tickflow = await createTickflow({ databaseUrl: "sqlite::memory:", flows: [flow] });
  const finished = new Promise<{ status: string; error: Error | null }>((resolve) => {
    tickflow.on("flow:finish", (event) => resolve(event));
  });
  // Stores the flow and runs a worker in this process (no scheduler: nothing fires by itself).
  await tickflow.start({ scheduler: false, syncSchedules: true });
  try {
    const { runId } = await tickflow.flows.trigger(flow.name);
    const event = await finished;
    assert.equal(event.status, "success", event.error?.stack);
    const run = await tickflow.flows.run(runId);
    assert.equal(run?.status, "success");
    assert.equal(run?.attempt, 1);
  } finally {
    await tickflow.stop();
  }
});
`;
}
