import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { Tickflow } from "../../src/tickflow.ts";
import { slowRecord } from "../fixtures/multinode-jobs.ts";
import { adminQuery, createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { type ServiceProcess, spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { waitFor } from "../helpers/wait-for.ts";

const skipReason = pgSkipReason();
if (skipReason && !pgRequired) console.log(`postgres multi-process tests skipped: ${skipReason}`);

const TOTAL = 5_000;
const KILLS = 3;

describe("three worker processes on one PostgreSQL schema", { skip: pgRequired ? false : skipReason }, () => {
  it(`run ${TOTAL} jobs, each succeeding exactly once, while one is kill -9ed and restarted ${KILLS} times`, async () => {
    if (skipReason) assert.fail(skipReason);
    const h = await createTestPgStore();
    const { dir, cleanup } = tempDir();
    const ledgerFile = join(dir, "ledger.txt");
    const env = {
      TICKFLOW_DATABASE_URL: h.url,
      TICKFLOW_PG_SCHEMA: h.schema,
      TICKFLOW_TEST_LEDGER: ledgerFile,
      // A short lease: the killed process's jobs are rescued ~2 s after the kill.
      TICKFLOW_LEASE: "2s",
      TICKFLOW_CONCURRENCY: "4",
      TICKFLOW_POLL_INTERVAL: "200ms",
    };
    const start = () => spawnTickflow(["worker", "-c", "test/fixtures/multinode.config.ts"], env);
    const ledger = () => (existsSync(ledgerFile) ? readFileSync(ledgerFile, "utf8").trim().split("\n") : []);
    const linesBy = (pid: number | undefined) =>
      ledger().filter((l) => l.split(" ")[1] === String(pid)).length;
    const client = new Tickflow(h.store, { jobs: [slowRecord as never] }, false);
    const survivors = [start(), start()];
    let victim = start();
    const everyProcess: ServiceProcess[] = [...survivors, victim];
    const killedPids: number[] = [];
    try {
      await waitFor(
        () => everyProcess.every((w) => w.output().includes("tickflow worker started")),
        "the workers to start",
        20_000,
      );
      const idOf = new Map<string, string>();
      for (let i = 0; i < TOTAL; i += 500) {
        const payloads = Array.from({ length: 500 }, (_, j) => String(i + j));
        const ids = await client.enqueueMany(payloads.map((payload) => ({ type: slowRecord, payload })));
        for (const [j, p] of payloads.entries()) idOf.set(p, ids[j]!);
      }
      // Kill the victim while it is busy (it has run jobs since it started), restart it, repeat.
      for (let k = 0; k < KILLS; k++) {
        const current = victim;
        await waitFor(() => linesBy(current.child.pid) >= 50, `worker ${k + 1} to be busy`, 20_000);
        current.child.kill("SIGKILL");
        assert.equal(await current.exited, "SIGKILL");
        killedPids.push(current.child.pid!);
        victim = start();
        everyProcess.push(victim);
      }
      await waitFor(
        async () =>
          (await h.store.queries.countJobs(Date.now())).find((c) => c.state === "succeeded")?.count === TOTAL,
        "every job to succeed",
        60_000,
        200,
      );

      const counts = await h.store.queries.countJobs(Date.now());
      assert.deepEqual(
        counts.filter((c) => c.state !== "succeeded"),
        [],
        "nothing left running, available or retrying",
      );
      const runs = await adminQuery(
        `SELECT job_id::text AS id,
           count(*) FILTER (WHERE outcome = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE outcome = 'abandoned')::int AS abandoned,
           array_agg(worker_id) FILTER (WHERE outcome = 'abandoned') AS abandoned_by
         FROM ${pg.escapeIdentifier(h.schema)}.job_runs GROUP BY job_id`,
      );
      const byId = new Map(runs.rows.map((r) => [r.id as string, r]));
      const executions = new Map<string, number>();
      for (const line of ledger()) {
        const payload = line.split(" ")[0]!;
        executions.set(payload, (executions.get(payload) ?? 0) + 1);
      }
      let extra = 0;
      let abandoned = 0;
      for (const [payload, id] of idOf) {
        const row = byId.get(id);
        assert.equal(row?.succeeded, 1, `job ${payload} succeeded exactly once`);
        const ran = executions.get(payload) ?? 0;
        assert.ok(ran >= 1, `job ${payload} ran`);
        // An execution beyond the first is a killed attempt's: its run row says abandoned.
        assert.ok(
          ran - 1 <= row.abandoned,
          `job ${payload} ran ${ran} times with ${row.abandoned} abandoned`,
        );
        extra += ran - 1;
        abandoned += row.abandoned;
        for (const worker of (row.abandoned_by ?? []) as string[]) {
          assert.ok(
            killedPids.some((pid) => worker.includes(`:${pid}:`)),
            `abandoned only by a killed worker, not ${worker}`,
          );
        }
      }
      assert.ok(abandoned > 0, "the kills caught attempts in flight");
      console.log(`${KILLS} kills: ${abandoned} attempts abandoned, ${extra} re-executed`);

      // The last restarted victim may still be starting (its signal handlers not yet installed,
      // so SIGTERM would end it by signal): the clean stop is asked of a started process.
      const last = victim;
      await waitFor(
        () => last.output().includes("tickflow worker started"),
        "the last victim to start",
        20_000,
      );
      for (const w of [...survivors, victim]) {
        assert.equal(w.child.exitCode, null, "the other workers kept running");
        assert.doesNotMatch(w.output(), /internal error/);
        w.child.kill("SIGTERM");
      }
      assert.deepEqual(await Promise.all([...survivors, victim].map((w) => w.exited)), [0, 0, 0]);
    } finally {
      for (const w of everyProcess) w.child.kill("SIGKILL");
      await client.stop();
      await h.cleanup();
      cleanup();
    }
  });
});
