import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { job } from "../contract/store-contract.ts";
import { tempDir } from "../helpers/sqlite.ts";

/** Another process that takes the write lock, says so, holds it `holdMs` (stalled) and commits. */
function holdWriteLock(file: string, holdMs: number) {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(process.argv[1]);
    db.exec("BEGIN IMMEDIATE");
    db.exec("UPDATE schedules SET updated_at = updated_at");
    process.stdout.write("locked\\n");
    setTimeout(() => { db.exec("COMMIT"); db.close(); }, Number(process.argv[2]));
  `;
  const child = spawn(process.execPath, ["-e", script, file, String(holdMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("locked") && resolve());
    child.on("exit", (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { locked, exited };
}

describe("SQLite: a process stalled holding the write lock", () => {
  it("does not block another process's event loop: its timers keep firing, the write waits, the stall is reported", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    const reports: string[] = [];
    const store = new SqliteStore(file, {
      onError: (error, where) => reports.push(`${where}: ${error.message}`),
    });
    try {
      await store.migrate();
      const holder = holdWriteLock(file, 3_000);
      await holder.locked;
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const started = Date.now();
      try {
        const [inserted] = await store.jobs.insertJobs([job({ queue: "after-stall" })], Date.now());
        const waited = Date.now() - started;
        assert.ok(inserted?.id, "the write went through once the lock was free");
        assert.ok(waited >= 2_000, `the write waited for the lock (${waited}ms)`);
        // ~150 ticks of 20 ms in 3 s on an idle machine; busy-waiting on the main thread gave 0-1.
        assert.ok(ticks >= 30, `timers kept firing while the write waited: ${ticks} ticks in ${waited}ms`);
      } finally {
        clearInterval(timer);
        await holder.exited;
      }
      assert.equal(reports.length, 1, reports.join("\n"));
      assert.match(
        reports[0]!,
        /^sqlite write lock: waited \d+ms for the SQLite write lock another process holds/,
      );
    } finally {
      await store.close();
      cleanup();
    }
  });
});
