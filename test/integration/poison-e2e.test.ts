import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { counted, poison, poisonJobs } from "../fixtures/poison-jobs.ts";
import { createTestPgStore, pgTestSkip } from "../helpers/pg.ts";
import { spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean) : [];

describe("poison isolation end to end (tickflow worker / start, real processes)", () => {
  it("a NUL byte in one job's error beside 300 normal jobs: each neighbour runs once, the poison is recorded (PostgreSQL)", {
    skip: pgTestSkip(),
  }, async () => {
    const h = await createTestPgStore();
    const { dir, cleanup } = tempDir();
    const ledger = join(dir, "ledger.txt");
    const client = new Tickflow(h.store, { jobs: poisonJobs as never[] }, false);
    const worker = spawnTickflow(["worker", "-c", "test/fixtures/poison.config.ts"], {
      TICKFLOW_DATABASE_URL: h.url,
      TICKFLOW_PG_SCHEMA: h.schema,
      TICKFLOW_LEASE: "3s",
      TICKFLOW_POLL_INTERVAL: "50ms",
      TICKFLOW_TEST_LEDGER: ledger,
    });
    try {
      const ids = await client.enqueueMany([
        ...Array.from({ length: 150 }, () => ({ type: counted })),
        { type: poison },
        ...Array.from({ length: 150 }, () => ({ type: counted })),
      ]);
      const poisonId = ids[150]!;
      const normal = ids.filter((id) => id !== poisonId);
      await waitFor(
        async () => (await client.queries.listJobs({ states: ["succeeded"], limit: 500 })).length === 300,
        "the 300 normal jobs to succeed",
        30_000,
      );
      // Past a lease: had a batch failed, its jobs would be rescued and run again by now.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const ran = lines(ledger);
      assert.equal(ran.length, 300, "no extra executions");
      assert.deepEqual(new Set(ran.map((l) => l.split(" ")[0])), new Set(normal));
      assert.ok(
        ran.every((l) => l.endsWith(" 1")),
        "every neighbour on its first attempt",
      );
      const row = await client.getJob(poisonId);
      assert.equal(row?.state, "discarded");
      assert.equal(row?.lastError, "bad byte \uFFFD at 12");
      const runs = await client.listJobRuns(poisonId);
      assert.deepEqual(
        runs.map((r) => [r.outcome, r.errorMessage]),
        [["discarded", "bad byte \uFFFD at 12"]],
      );
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
      await h.cleanup();
      cleanup();
    }
  });

  it("a schedule that cannot be planned is set aside while an every-second schedule keeps every tick (SQLite, tickflow start)", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const ledger = join(dir, "ledger.txt");
    const store: Store = new SqliteStore(file);
    await store.migrate();
    const service = spawnTickflow(["start", "-c", "test/fixtures/every-second.config.ts"], {
      TICKFLOW_DATABASE_URL: `sqlite:${file}`,
      TICKFLOW_TEST_LEDGER: ledger,
    });
    try {
      await waitFor(() => lines(ledger).length >= 2, "the every-second schedule to run", 20_000);
      // Rows a rolling deploy could leave: a trigger this node cannot read, a cron and a zone it cannot plan.
      const db = new Database(file);
      const insert = db.prepare(
        `INSERT INTO schedules (id, job_type, payload, trigger, misfire, grace_ms, overlap, job_options, next_fire_at, created_at, updated_at)
         VALUES (?, 'fixture.beat', 'null', ?, 'latest', 60000, 'allow', ?, ?, 0, 0)`,
      );
      const options = JSON.stringify({
        stateful: false,
        queue: "default",
        priority: 0,
        maxAttempts: 1,
        timeoutMs: null,
        backoff: "{}",
      });
      const now = Date.now();
      insert.run("poison-garbage", "garbage", options, now - 1_000);
      insert.run(
        "poison-cron",
        JSON.stringify({ kind: "cron", expression: "61 * * * *", timezone: "UTC" }),
        options,
        now - 1_000,
      );
      insert.run(
        "poison-zone",
        JSON.stringify({ kind: "cron", expression: "* * * * *", timezone: "Mars/Olympus" }),
        options,
        now - 1_000,
      );
      db.close();
      const since = now + 1_000;
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const rows = new Map((await store.queries.listSchedules()).map((s) => [s.id, s]));
      for (const id of ["poison-garbage", "poison-cron", "poison-zone"]) {
        assert.ok(rows.get(id)?.broken, `${id} is set aside as broken`);
        assert.equal(rows.get(id)?.nextFireAt, null);
      }
      assert.match(rows.get("poison-garbage")!.broken!, /stored trigger is not valid JSON/);
      assert.equal(rows.get("every-second")?.broken, null);
      const ticks = (await store.queries.listTicks("every-second", { since, limit: 100 })).reverse();
      assert.ok(ticks.length >= 4, `the every-second schedule kept firing: ${ticks.length} ticks in ~5 s`);
      for (let i = 1; i < ticks.length; i++)
        assert.equal(ticks[i]!.nominalAt - ticks[i - 1]!.nominalAt, 1_000, "no missed tick");
      assert.ok(ticks.every((t) => t.decision === "fired"));
      const nominal = lines(ledger).map((l) => Number(l.split(" ")[0]));
      assert.equal(new Set(nominal).size, nominal.length, "no tick ran twice");
      assert.match(service.output(), /poison-garbage/, "the broken schedule is logged");
    } finally {
      service.child.kill("SIGTERM");
      await service.exited;
      await store.close();
      cleanup();
    }
  });
});
