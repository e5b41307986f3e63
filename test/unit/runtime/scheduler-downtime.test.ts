import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "../../../src/logger.ts";
import { defineJob } from "../../../src/runtime/registry.ts";
import { defineSchedule } from "../../../src/runtime/schedules.ts";
import { Tickflow } from "../../../src/tickflow.ts";
import { FakeClock } from "../../helpers/fake-clock.ts";
import { createTestSqliteStore } from "../../helpers/sqlite.ts";
import { waitFor } from "../../helpers/wait-for.ts";

describe("after a downtime, the scheduler logs one summary WARN line per schedule", () => {
  it("30 missed ticks of two schedules: two WARN lines, each with the count and the span", async () => {
    const harness = await createTestSqliteStore();
    const lines: { level: number; msg: string; schedule?: string }[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = createLogger({ level: "info", format: "json", destination: sink });
    const T = Date.UTC(2030, 0, 1, 12, 0, 0);
    const clock = new FakeClock(T);
    const noop = defineJob("noop", async () => {});
    const tickflow = new Tickflow(
      harness.store,
      {
        jobs: [noop as never],
        schedules: [
          defineSchedule({ key: "every-5s", job: noop, every: "5s" }),
          defineSchedule({ key: "every-10s", job: noop, every: "10s", misfire: "skip" }),
        ],
        logger,
        clock,
      },
      false,
    );
    try {
      await tickflow.start({ worker: false });
      clock.set(T + 150_000 + 100); // 2.5 minutes down: 30 ticks of every-5s, 15 of every-10s
      await waitFor(
        async () => (await harness.store.queries.listTicks("every-5s", { limit: 100 })).length === 30,
        "ticks",
      );
      await waitFor(
        async () => (await harness.store.queries.listTicks("every-10s", { limit: 100 })).length === 15,
        "ticks",
      );
      const warnings = lines.filter((l) => l.level === 40);
      assert.deepEqual(
        warnings.map((l) => l.schedule).sort(),
        ["every-10s", "every-5s"],
        JSON.stringify(warnings),
      );
      const five = warnings.find((l) => l.schedule === "every-5s")!;
      assert.match(
        five.msg,
        /^schedule every-5s: 29 tick\(s\) not run: 29 missed \(coalesced\); .* to .*; the latest one fired$/,
      );
      const ten = warnings.find((l) => l.schedule === "every-10s")!;
      assert.match(ten.msg, /^schedule every-10s: 14 tick\(s\) not run: 14 missed \(misfire\)/);
    } finally {
      await tickflow.stop(0);
      await harness.cleanup();
    }
  });
});
