import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { wakeDirFor } from "../../src/store/sqlite/sqlite-wake.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { ping } from "../fixtures/wake-jobs.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

/** A worker process (test/fixtures/wake-worker.ts) on `file`, polling every `pollMs`. */
function spawnWorker(file: string, pollMs: number) {
  const child = spawn(process.execPath, ["--import", "tsx", "test/fixtures/wake-worker.ts"], {
    env: { ...process.env, TICKFLOW_TEST_DB: file, TICKFLOW_TEST_POLL_MS: String(pollMs) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return {
    child,
    exited,
    output: () => output,
    /** When the worker ran the job with `payload` (its clock: the same machine's). */
    ranAt: (payload: string) => {
      const match = output.match(new RegExp(`^ran ${payload} (\\d+)$`, "m"));
      return match ? Number(match[1]) : undefined;
    },
  };
}

/** A migrated database and an enqueue-only client in this process (the "other" process). */
async function setup() {
  const { dir, cleanup } = tempDir();
  const file = join(dir, "tickflow.db");
  const store = new SqliteStore(file);
  await store.migrate();
  const client = new Tickflow(store, { jobs: [ping] }, true);
  return {
    dir,
    file,
    client,
    cleanup: async () => {
      await client.stop();
      cleanup();
    },
  };
}

describe("cross-process wake on SQLite (two real processes on one file)", () => {
  it("an enqueue here wakes an idle worker in another process long before its 10 s poll", async () => {
    const { file, client, cleanup } = await setup();
    const worker = spawnWorker(file, 10_000);
    try {
      await waitFor(() => worker.output().includes("ready"), "the worker to start", 20_000);
      await sleep(300); // past its first (empty) claim: it now sleeps for its poll interval
      const enqueuedAt = Date.now();
      await client.enqueue(ping, "now");
      const ranAt = await waitFor(() => worker.ranAt("now"), "the worker to run the job", 9_000);
      assert.ok(ranAt - enqueuedAt < 2_000, `picked up after ${ranAt - enqueuedAt} ms`);

      // A delayed job: the hint carries its due time, so the worker wakes when it is due.
      const delayedAt = Date.now();
      await client.enqueue(ping, "later", { runAt: new Date(delayedAt + 1_500) });
      const laterAt = await waitFor(() => worker.ranAt("later"), "the delayed job to run", 9_000);
      assert.ok(laterAt >= delayedAt + 1_500, "not before it is due");
      assert.ok(laterAt - delayedAt < 3_500, `ran ${laterAt - delayedAt - 1_500} ms after it was due`);
    } finally {
      worker.child.kill("SIGKILL");
      await worker.exited;
      await cleanup();
    }
  });

  it("a lost wake is recovered by the worker's poll", async () => {
    const { file, client, cleanup } = await setup();
    const worker = spawnWorker(file, 1_500);
    try {
      await waitFor(() => worker.output().includes("ready"), "the worker to start", 20_000);
      // Its socket gone, no hint can reach the worker: only its poll finds the job.
      const wakeDir = wakeDirFor(file);
      await waitFor(() => existsSync(wakeDir) && readdirSync(wakeDir).length > 0, "the worker's socket");
      for (const name of readdirSync(wakeDir)) rmSync(join(wakeDir, name));
      await client.enqueue(ping, "lost");
      await waitFor(() => worker.ranAt("lost"), "the poll to find the job", 10_000);
    } finally {
      worker.child.kill("SIGKILL");
      await worker.exited;
      await cleanup();
    }
  });

  it("a killed worker's socket is removed by the next process that enqueues", async () => {
    const { file, client, cleanup } = await setup();
    const worker = spawnWorker(file, 10_000);
    try {
      await waitFor(() => worker.output().includes("ready"), "the worker to start", 20_000);
      const wakeDir = wakeDirFor(file);
      const sockets = await waitFor(
        () => (existsSync(wakeDir) && readdirSync(wakeDir).length > 0 ? readdirSync(wakeDir) : undefined),
        "the worker's socket",
      );
      assert.equal(sockets.length, 1);
      worker.child.kill("SIGKILL");
      await worker.exited;
      assert.deepEqual(readdirSync(wakeDir), sockets, "SIGKILL leaves the socket behind");
      await client.enqueue(ping, "nobody");
      await waitFor(() => readdirSync(wakeDir).length === 0, "the dead worker's socket to be removed");
    } finally {
      worker.child.kill("SIGKILL");
      await cleanup();
    }
  });

  it("where no socket can be made the worker says so once and polls", async () => {
    const { file, client, cleanup } = await setup();
    writeFileSync(wakeDirFor(file), "not a directory"); // mkdir fails, as it does in a read-only directory
    const worker = spawnWorker(file, 500);
    try {
      await waitFor(() => worker.output().includes("ready"), "the worker to start", 20_000);
      await client.enqueue(ping, "polled");
      await waitFor(() => worker.ranAt("polled"), "the poll to find the job", 10_000);
      const warnings = worker.output().match(/cannot listen for other processes' enqueues/g) ?? [];
      assert.equal(warnings.length, 1, worker.output());
    } finally {
      worker.child.kill("SIGKILL");
      await worker.exited;
      await cleanup();
    }
  });
});
