// The example configuration `npm start` runs. Copy it as a starting point (`tickflow init` writes
// a fully commented one). In your project, import from "tickflow" instead of "./src/index.ts".
import { defineConfig, defineJob, defineSchedule } from "./src/index.ts";

/** A job type: a name, an async handler, and defaults every job of the type gets. */
const greet = defineJob<{ name: string }>(
  "greet",
  async (payload, ctx) => {
    ctx.logger.info(`hello, ${payload.name} (attempt ${ctx.attempt})`);
  },
  { queue: "default", maxAttempts: 3, timeout: "30s" },
);

/**
 * A recurring job with durable state: `stateful: true` makes ctx.state survive between runs and
 * restarts (and runs the schedule's ticks one at a time). Stop and start again: the count goes on.
 */
const tick = defineJob<null, { runs: number }>(
  "example.tick",
  async (_payload, ctx) => {
    const runs = (ctx.state?.runs ?? 0) + 1;
    ctx.state = { runs };
    ctx.logger.info(
      `example schedule ran ${runs} time(s) so far (nominal ${new Date(ctx.scheduledFor ?? 0).toISOString()})`,
    );
  },
  { stateful: true },
);

export default defineConfig({
  database: "sqlite:./tickflow.db",
  jobs: [greet, tick],
  schedules: [
    defineSchedule({ key: "example-every-10s", job: tick, every: "10s" }),
    defineSchedule({ key: "example-greeting", job: greet, payload: { name: "world" }, cron: "* * * * *" }),
  ],
});
