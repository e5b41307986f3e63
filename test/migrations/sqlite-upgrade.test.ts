import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { shippedMigrations } from "../../src/store/migrations.ts";
import { checksumOf } from "../../src/store/shared/migrator.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { tempDir } from "../helpers/sqlite.ts";

const sqliteMigrations = shippedMigrations("sqlite");

const T0 = 1_700_000_000_000;
/** `x IN (a, b, c …)`: SQLite builds an ephemeral table for it on every statement run. */
const LONG_IN_LIST = /\bIN\s*\(\s*'[^']*'\s*,\s*'[^']*'\s*,\s*'[^']*'/i;

describe("SQLite schema upgrades", () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  it("upgrades a version-3 database with jobs in it, keeping and claiming them", async () => {
    const file = join(dir, "v3.db");
    const db = new Database(file);
    db.exec(
      "CREATE TABLE tickflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    for (const m of sqliteMigrations.filter((m) => m.version <= 3)) {
      db.exec(m.sql);
      db.prepare("INSERT INTO tickflow_migrations VALUES (?, ?, ?, ?)").run(
        m.version,
        m.name,
        checksumOf(m),
        T0,
      );
    }
    db.prepare(
      `INSERT INTO jobs (type, queue, payload, state, priority, max_attempts, run_at, key, backoff, created_at)
       VALUES ('old', 'default', '{}', 'available', 0, 3, ?, 'k1', '{}', ?)`,
    ).run(T0, T0);
    db.close();

    const store = new SqliteStore(file);
    try {
      const report = await store.migrate();
      assert.deepEqual(
        report.applied.map((m) => m.version),
        sqliteMigrations.filter((m) => m.version > 3).map((m) => m.version),
      );
      // The rebuilt unique key index still dedupes against the old job.
      const [dup] = await store.jobs.insertJobs(
        [
          {
            type: "old",
            queue: "default",
            payload: "{}",
            priority: 0,
            maxAttempts: 3,
            runAt: T0,
            key: "k1",
            timeoutMs: null,
            backoff: "{}",
            stateKey: null,
          },
        ],
        T0,
      );
      assert.equal(dup?.status, "duplicate");
      const claimed = await store.jobs.claimJobs({
        workerId: "w",
        queues: undefined,
        limit: 5,
        leaseMs: 1_000,
        now: T0,
      });
      assert.deepEqual(
        claimed.map((j) => j.type),
        ["old"],
      );
    } finally {
      await store.close();
    }
  });

  it("declares no partial-index predicate as an IN list of three or more values", async () => {
    const file = join(dir, "fresh.db");
    const store = new SqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new Database(file, { readonly: true });
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
      .all() as { name: string; sql: string }[];
    db.close();
    assert.ok(indexes.length > 5);
    const slow = indexes.filter((i) => LONG_IN_LIST.test(i.sql)).map((i) => i.name);
    assert.deepEqual(slow, []);
  });
});
