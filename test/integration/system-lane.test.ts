import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MonitorCheckEvent, MonitorTransitionEvent } from "../../src/events.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { asJobs } from "../helpers/runtime.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

/** A user job that holds its slot for `ms` (aborted at stop). */
const hog = defineJob<{ ms: number }>("lane.hog", (payload, ctx) => {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, payload.ms);
    ctx.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
});

/**
 * Every user slot is held by a long job and more wait behind them; a monitor checks every second.
 * Returns the checks counted in a 5 s window, and how long the monitor took to go OFFLINE (gating
 * its queue) once its upstream failed — or null when it did not within 6 s.
 */
async function starve(store: Store, systemConcurrency: number) {
  let healthy = true;
  const tickflow = new Tickflow(
    store,
    {
      pollIntervalMs: 50,
      concurrency: 2,
      systemConcurrency,
      jobs: asJobs(hog),
      monitors: [
        {
          name: "upstream",
          interval: "1s",
          timeout: "500ms",
          fallAfter: 3,
          gates: ["payments"],
          check: async () => {
            if (!healthy) throw new Error("upstream down");
          },
        },
      ],
    },
    false,
  );
  const checks: MonitorCheckEvent[] = [];
  const transitions: MonitorTransitionEvent[] = [];
  tickflow.on("monitor:check", (e) => checks.push(e));
  tickflow.on("monitor:transition", (e) => transitions.push(e));
  await tickflow.start();
  try {
    for (let i = 0; i < 6; i++) await tickflow.enqueue(hog, { ms: 30_000 });
    await waitFor(
      () => tickflow.liveness.runningJobTypes().filter((t) => t === "lane.hog").length === 2,
      "slots full",
    );
    await sleep(1_500); // let the monitor settle into its rhythm
    const from = Date.now();
    await sleep(5_000);
    const inWindow = checks.filter((c) => c.at >= from && c.at < from + 5_000).length;
    healthy = false;
    const failedAt = Date.now();
    let offlineAfterMs: number | null = null;
    try {
      await waitFor(
        () => transitions.some((t) => t.to === "OFFLINE" && t.closedQueues.includes("payments")),
        "OFFLINE",
        6_000,
        20,
      );
      offlineAfterMs = Date.now() - failedAt;
    } catch {
      offlineAfterMs = null;
    }
    const hogsRunning = tickflow.liveness.runningJobTypes().filter((t) => t === "lane.hog").length;
    return { inWindow, offlineAfterMs, hogsRunning };
  } finally {
    await tickflow.stop(0);
  }
}

function suite(name: string, open: () => Promise<{ store: Store; cleanup(): Promise<void> }>, skip?: string) {
  describe(`reserved lane: starvation (${name})`, { skip }, () => {
    it("every user slot busy with long jobs: a 1 s monitor still checks each second (±20 %), and gating reacts", async () => {
      const h = await open();
      try {
        const r = await starve(h.store, 2);
        assert.equal(r.hogsRunning, 2, "the user slots stayed full throughout");
        assert.ok(r.inWindow >= 4 && r.inWindow <= 6, `checks in 5 s: ${r.inWindow} (want 5 ± 20 %)`);
        assert.ok(r.offlineAfterMs !== null, "the monitor went OFFLINE and closed its gate");
        // Three failed checks at 1 s intervals: ~3 s, plus one interval of slack for this shared VM.
        assert.ok(r.offlineAfterMs <= 5_000, `OFFLINE after ${r.offlineAfterMs} ms`);
      } finally {
        await h.cleanup();
      }
    });

    it("without the reserved lane (systemConcurrency 0) the same load starves the checks", async () => {
      const h = await open();
      try {
        const r = await starve(h.store, 0);
        assert.ok(r.inWindow <= 1, `checks in 5 s without a reserved lane: ${r.inWindow}`);
        assert.equal(r.offlineAfterMs, null, "gating cannot react when no check runs");
      } finally {
        await h.cleanup();
      }
    });
  });
}

suite("SQLite", createTestSqliteStore);
suite("PostgreSQL", createTestPgStore, pgTestSkip());
