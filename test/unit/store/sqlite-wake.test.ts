import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../../src/store/sqlite/sqlite-store.ts";
import { SqliteWake, wakeDirFor } from "../../../src/store/sqlite/sqlite-wake.ts";
import type { JobsInsertedHint } from "../../../src/store/store.ts";
import { job } from "../../contract/store-contract.ts";
import { tempDir } from "../../helpers/sqlite.ts";
import { sleep, waitFor } from "../../helpers/wait-for.ts";

/** Two wakes on one directory stand for two processes on one database file. */
function pair(dir: string) {
  const heard: JobsInsertedHint[] = [];
  const listener = new SqliteWake(dir, (hint) => heard.push(hint));
  const publisher = new SqliteWake(dir, () => assert.fail("the publisher must not hear itself"));
  return { heard, listener, publisher };
}

describe("SqliteWake: insert hints between processes on one SQLite file", () => {
  it("delivers a published hint, with its queues and due time, to a listening peer", async () => {
    const { dir, cleanup } = tempDir();
    const { heard, listener, publisher } = pair(join(dir, "db.tickflow-wake"));
    const release = listener.retain();
    const releasePublisher = publisher.retain();
    try {
      await waitFor(() => listener.socketPath && existsSync(listener.socketPath), "the listener's socket");
      publisher.publish({ queues: ["mail"], earliestRunAt: 1234 });
      await waitFor(() => heard.length > 0, "the hint to arrive");
      assert.deepEqual(heard, [{ queues: ["mail"], earliestRunAt: 1234 }]);
    } finally {
      release();
      releasePublisher();
      publisher.close();
      cleanup();
    }
  });

  it("sends a storm of inserts as a handful of hints, merged (one claim round, not one per job)", async () => {
    const { dir, cleanup } = tempDir();
    const { heard, listener, publisher } = pair(join(dir, "db.tickflow-wake"));
    const release = listener.retain();
    try {
      await waitFor(() => listener.socketPath && existsSync(listener.socketPath), "the listener's socket");
      for (let i = 0; i < 1_000; i++) publisher.publish({ queues: [`q${i % 3}`], earliestRunAt: 5_000 - i });
      await waitFor(() => heard.at(-1)?.earliestRunAt === 4_001, "the last merged hint");
      await sleep(50);
      assert.ok(heard.length <= 3, `1 000 publishes arrived as ${heard.length} hints`);
      assert.deepEqual(new Set(heard.flatMap((h) => h.queues)), new Set(["q0", "q1", "q2"]));
    } finally {
      release();
      publisher.close();
      cleanup();
    }
  });

  it("an all-queues hint absorbs named queues when merged", async () => {
    const { dir, cleanup } = tempDir();
    const { heard, listener, publisher } = pair(join(dir, "db.tickflow-wake"));
    const release = listener.retain();
    try {
      await waitFor(() => listener.socketPath && existsSync(listener.socketPath), "the listener's socket");
      publisher.publish({ queues: ["a"], earliestRunAt: 10 });
      publisher.publish({ queues: ["b"], earliestRunAt: 30 });
      publisher.publish({ queues: [], earliestRunAt: 20 });
      // Published in one go, they leave as one line: every queue, the earliest due time.
      await waitFor(() => heard.length > 0, "the merged hint");
      await sleep(50);
      assert.deepEqual(heard, [{ queues: [], earliestRunAt: 10 }]);
    } finally {
      release();
      publisher.close();
      cleanup();
    }
  });

  it("removes its own socket when the last listener here releases it", async () => {
    const { dir, cleanup } = tempDir();
    const wakeDir = join(dir, "db.tickflow-wake");
    const wake = new SqliteWake(wakeDir, () => {});
    try {
      const first = wake.retain();
      const second = wake.retain();
      const path = await waitFor(
        () => (wake.socketPath && existsSync(wake.socketPath) ? wake.socketPath : undefined),
        "socket",
      );
      first();
      assert.ok(existsSync(path), "still listened on while one listener remains");
      second();
      assert.deepEqual(readdirSync(wakeDir), []);
    } finally {
      cleanup();
    }
  });

  it("removes the socket a SIGKILLed process left behind the next time it publishes", async () => {
    const { dir, cleanup } = tempDir();
    const wakeDir = join(dir, "db.tickflow-wake");
    const wake = new SqliteWake(wakeDir, () => {});
    // A real process listening where a peer would, killed without a chance to clean up.
    const stale = join(wakeDir, "999999-deadbeef.sock");
    const child = spawn(process.execPath, [
      "-e",
      `require("node:fs").mkdirSync(${JSON.stringify(wakeDir)}, { recursive: true });
       require("node:net").createServer().listen(${JSON.stringify(stale)}, () => console.log("listening"));`,
    ]);
    try {
      await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("exit", resolve));
      assert.ok(existsSync(stale), "SIGKILL leaves the socket file");
      wake.publish({ queues: [], earliestRunAt: 0 });
      await waitFor(() => !existsSync(stale), "the dead peer's socket to be removed");
    } finally {
      child.kill("SIGKILL");
      wake.close();
      cleanup();
    }
  });

  it("cannot listen where no directory can be made: one warning, and publishing still works", async () => {
    const { dir, cleanup } = tempDir();
    const wakeDir = join(dir, "db.tickflow-wake");
    writeFileSync(wakeDir, "in the way"); // mkdir fails even for root, as a read-only directory would
    const warnings: string[] = [];
    const wake = new SqliteWake(wakeDir, () => {});
    try {
      const release = wake.retain((message) => warnings.push(message));
      const again = wake.retain((message) => warnings.push(message));
      release();
      again();
      wake.retain((message) => warnings.push(message))();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /cannot listen for other processes' enqueues in .*db\.tickflow-wake/);
      assert.match(warnings[0]!, /next poll/);
      wake.publish({ queues: [], earliestRunAt: 0 }); // nothing to write to: no throw
    } finally {
      wake.close();
      cleanup();
    }
  });

  it("puts the sockets beside the database file, or in the temp directory when that path is too long", () => {
    assert.equal(wakeDirFor("/srv/app/tickflow.db"), "/srv/app/tickflow.db.tickflow-wake");
    const deep = `/srv/${"very-long-directory-name/".repeat(5)}tickflow.db`;
    const moved = wakeDirFor(deep);
    assert.ok(moved.startsWith(join(tmpdir(), "tickflow-wake-")), moved);
    assert.equal(wakeDirFor(deep), moved, "every process computes the same place");
  });

  it("cancelling a running job with a state key hints the workers: the key's next job may start", async () => {
    const { dir, cleanup } = tempDir();
    const store = new SqliteStore(join(dir, "tickflow.db"));
    await store.migrate();
    const hints: JobsInsertedHint[] = [];
    const unsubscribe = store.onJobsInserted((hint) => hints.push(hint));
    try {
      const now = Date.now();
      const keyed = job({ stateKey: "k", queue: "q", runAt: now });
      await store.jobs.insertJobs([keyed, keyed], now);
      const [running] = await store.jobs.claimJobs({
        workerId: "w",
        queues: undefined,
        limit: 10,
        leaseMs: 30_000,
        now,
      });
      assert.ok(running, "the first keyed job runs (the second waits for its key)");
      hints.length = 0;
      await store.jobs.cancelJob(running.id, now + 1);
      assert.deepEqual(hints, [{ queues: ["q"], earliestRunAt: now + 1 }]);
    } finally {
      unsubscribe();
      await store.close();
      cleanup();
    }
  });
});
