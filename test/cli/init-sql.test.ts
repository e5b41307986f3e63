import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import pg from "pg";
import { shippedMigrations } from "../../src/store/migrations.ts";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { adminQuery, pgTestSkip, pgTestUrl } from "../helpers/pg.ts";
import { tempDir } from "../helpers/sqlite.ts";

const sqliteMigrations = shippedMigrations("sqlite");
const postgresMigrations = shippedMigrations("postgres");

const BIN = resolve("bin/tickflow.js");
const fileNames = (migrations: readonly { version: number; name: string }[]) =>
  migrations.map((m) => `${String(m.version).padStart(4, "0")}_${m.name}.sql`);

function exportSql(cwd: string, args: string[]) {
  return spawnSync(process.execPath, [BIN, "init", "--sql", ...args], { cwd, encoding: "utf8" });
}

/** A SQLite database's schema (tables and indexes), to compare two databases. */
function sqliteSchema(file: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
      )
      .all();
  } finally {
    db.close();
  }
}

describe("tickflow init --sql", () => {
  it("exports every migration of both dialects; applied by hand, they leave nothing for tickflow to migrate", async () => {
    const { dir, cleanup } = tempDir("tickflow-sql-");
    try {
      const result = exportSql(dir, ["db/tickflow"]);
      assert.equal(result.status, 0, result.stderr);
      const out = join(dir, "db/tickflow");
      assert.deepEqual(readdirSync(join(out, "sqlite")).sort(), fileNames(sqliteMigrations));
      assert.deepEqual(readdirSync(join(out, "postgres")).sort(), fileNames(postgresMigrations));
      assert.match(result.stdout, /^wrote db\/tickflow\/sqlite\/0001_initial\.sql$/m);
      assert.match(result.stdout, /^wrote db\/tickflow\/postgres\/0001_initial\.sql$/m);
      assert.match(readFileSync(join(out, "README.md"), "utf8"), /tickflow_migrations/);
      // Each file carries the shipped migration byte for byte.
      for (const m of sqliteMigrations) {
        assert.ok(readFileSync(join(out, "sqlite", fileNames([m])[0]!), "utf8").includes(m.sql.trim()));
      }

      // Applied by hand (as a team's own tool would), in order …
      const byHand = join(dir, "by-hand.db");
      const db = new Database(byHand);
      for (const name of fileNames(sqliteMigrations))
        db.exec(readFileSync(join(out, "sqlite", name), "utf8"));
      db.close();
      // … tickflow finds nothing to apply, and the schema is the one its migrator makes.
      const store = new SqliteStore(byHand);
      assert.deepEqual(await store.pendingMigrations(), []);
      assert.deepEqual((await store.migrate()).applied, []);
      await store.close();
      const migrated = new SqliteStore(join(dir, "migrated.db"));
      await migrated.migrate();
      await migrated.close();
      const strip = (rows: unknown[]) =>
        rows.filter((r) => (r as { name: string }).name !== "tickflow_migrations");
      assert.deepEqual(strip(sqliteSchema(byHand)), strip(sqliteSchema(join(dir, "migrated.db"))));

      // Never overwritten without --force.
      const again = exportSql(dir, ["db/tickflow"]);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /^tickflow: .*already exist: nothing was written \(--force overwrites\)\n$/);
      assert.equal(exportSql(dir, ["db/tickflow", "--force"]).status, 0);
      const badSchema = exportSql(dir, ["other", "--schema", "Bad-Name"]);
      assert.equal(badSchema.status, 1);
      assert.match(badSchema.stderr, /invalid PostgreSQL schema "Bad-Name"/);
    } finally {
      cleanup();
    }
  });

  it("the PostgreSQL files, applied by hand to a schema, leave nothing for tickflow to migrate", {
    skip: pgTestSkip(),
  }, async () => {
    const url = pgTestUrl()!;
    const schema = `tickflow_test_sql_${randomBytes(5).toString("hex")}`;
    const { dir, cleanup } = tempDir("tickflow-sql-");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = exportSql(dir, ["sql", "--schema", schema]);
      assert.equal(result.status, 0, result.stderr);
      for (const name of fileNames(postgresMigrations)) {
        await client.query("BEGIN");
        await client.query(readFileSync(join(dir, "sql/postgres", name), "utf8"));
        await client.query("COMMIT");
      }
      const store = new PostgresStore(url, { schema, poolSize: 2 });
      try {
        assert.deepEqual(await store.pendingMigrations(), []);
        assert.deepEqual((await store.migrate()).applied, []);
      } finally {
        await store.close();
      }
    } finally {
      await client.end();
      await adminQuery(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
      cleanup();
    }
  });
});
