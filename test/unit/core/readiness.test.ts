import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { judgeReadiness, type ReadinessInput } from "../../../src/core/readiness.ts";

const T = 1_000_000;
const input = (over: Partial<ReadinessInput>): ReadinessInput => ({
  components: { store: { status: "ok" }, scheduler: { status: "ok" } },
  lifecycle: "running",
  startedAt: T - 60_000,
  startupGraceMs: 15_000,
  now: T,
  ...over,
});

describe("judgeReadiness", () => {
  const cases: [string, Partial<ReadinessInput>, { live: boolean; ready: boolean; notReady?: string[] }][] = [
    ["all ok", {}, { live: true, ready: true }],
    [
      "store down: not ready, still live",
      { components: { store: { status: "fail" } } },
      { live: true, ready: false, notReady: ["store"] },
    ],
    [
      "heartbeat interrupted by our downtime: ready",
      { components: { heartbeat: { status: "interrupted", graceable: true } } },
      { live: true, ready: true },
    ],
    [
      "heartbeat late after the grace: not ready",
      { components: { heartbeat: { status: "late", graceable: true } } },
      { live: true, ready: false, notReady: ["heartbeat"] },
    ],
    [
      "heartbeat late within the startup grace: ready",
      { startedAt: T - 5_000, components: { heartbeat: { status: "late", graceable: true } } },
      { live: true, ready: true },
    ],
    [
      "store down within the startup grace: not graceable",
      { startedAt: T - 5_000, components: { store: { status: "fail" } } },
      { live: true, ready: false },
    ],
    [
      "event loop degraded: not ready",
      { components: { eventLoop: { status: "degraded" } } },
      { live: true, ready: false, notReady: ["eventLoop"] },
    ],
    [
      "an OFFLINE monitor is reported only",
      { components: { monitors: { status: "fail", reportedOnly: true } } },
      { live: true, ready: true },
    ],
    ["stopping: neither", { lifecycle: "stopping" }, { live: false, ready: false, notReady: ["lifecycle"] }],
  ];
  for (const [name, over, expected] of cases) {
    it(name, () => {
      const r = judgeReadiness(input(over));
      assert.equal(r.live, expected.live);
      assert.equal(r.ready, expected.ready, r.notReady.join(","));
      if (expected.notReady) assert.deepEqual(r.notReady, expected.notReady);
    });
  }
});
