import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validateConfig } from "../../../src/config/schema.ts";
import { defineJob } from "../../../src/runtime/registry.ts";
import { defineSchedule } from "../../../src/runtime/schedules.ts";
import { Tickflow } from "../../../src/tickflow.ts";
import { createTestSqliteStore } from "../../helpers/sqlite.ts";

const hook = { kind: "webhook", url: "http://127.0.0.1:9/h" } as const;

describe("alerts: bad input is one clear error, nothing written", () => {
  it("an unknown channel, at definition", async () => {
    const h = await createTestSqliteStore();
    try {
      assert.throws(
        () =>
          new Tickflow(
            h.store,
            { alerts: { channels: { hook }, rules: [{ name: "r", when: "check", channels: ["hok"] }] } },
            false,
          ),
        /alert "r": unknown channel "hok" \(channels: hook\)/,
      );
    } finally {
      await h.cleanup();
    }
  });

  it("a rule on an unknown schedule, at start, before any schedule is stored", async () => {
    const h = await createTestSqliteStore();
    const job = defineJob("report", async () => {});
    const tickflow = new Tickflow(
      h.store,
      {
        jobs: [job as never],
        schedules: [defineSchedule({ key: "nightly-report", job, cron: "0 2 * * *" })],
        alerts: {
          channels: { hook },
          rules: [{ name: "r", when: "schedule", target: "nightly-reprot", channels: ["hook"] }],
        },
      },
      false,
    );
    try {
      await assert.rejects(
        tickflow.start({ worker: false }),
        /alert "r": no schedule "nightly-reprot" is defined/,
      );
      assert.deepEqual(await h.store.queries.listSchedules(), [], "nothing written");
    } finally {
      await tickflow.stop(0).catch(() => undefined);
      await h.cleanup();
    }
  });

  it("the config file: unknown channel, malformed SMTP URL, missing option, unknown option — each named under alerts", () => {
    const bad: [unknown, RegExp][] = [
      [
        { channels: { hook }, rules: [{ name: "r", when: "check", channels: ["x"] }] },
        /alerts: alert "r": unknown channel "x"/,
      ],
      [
        { channels: { mail: { kind: "email", smtp: "smtp//x", from: "a@b.c", to: "d@e.f" } } },
        /alerts: channel "mail": smtp: not a URL/,
      ],
      [
        { channels: { hook }, rules: [{ name: "r", when: "queue", channels: ["hook"] }] },
        /olderThan is required/,
      ],
      [{ chanels: {} }, /unknown option "chanels" in alerts \(did you mean "channels"\?\)/],
    ];
    for (const [alerts, message] of bad) assert.throws(() => validateConfig({ alerts }), message);
    assert.deepEqual(validateConfig({}).alerts, {});
  });
});
