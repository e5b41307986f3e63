import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { shippedMigrations } from "../../src/store/migrations.ts";
import { checksumOf } from "../../src/store/shared/migrator.ts";

/**
 * The checksums every database migrated by tickflow 0.1 recorded in tickflow_migrations. A shipped
 * migration whose text changes by one byte is refused by every such database
 * (MIGRATION_CHANGED): this list only ever grows.
 */
const RECORDED = {
  sqlite: ["419b42b76d5a429f", "2e5c9bac33ed7206", "6c2f026a79bfd75d", "ca335fb4d1d62e8d"],
  postgres: ["ebe969fbe49f3a76", "bd2adba42ae1f418", "8c00cae2098ab046", "cadaa302ea92835b"],
};

describe("migrations as .sql files", () => {
  it("the generated module is what the .sql files give (node scripts/embed-sql.mjs)", () => {
    assert.doesNotThrow(() => execFileSync(process.execPath, ["scripts/embed-sql.mjs", "--check"]));
  });

  for (const dialect of ["sqlite", "postgres"] as const) {
    it(`${dialect}: every file embedded byte for byte, checksums as databases recorded them`, () => {
      const dir = `src/store/${dialect}/migrations`;
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(".sql"))
        .sort();
      const shipped = shippedMigrations(dialect);
      assert.deepEqual(
        shipped.map((m) => `${String(m.version).padStart(4, "0")}_${m.name.replaceAll(" ", "_")}.sql`),
        files,
      );
      for (const [i, m] of shipped.entries()) assert.equal(m.sql, readFileSync(`${dir}/${files[i]}`, "utf8"));
      assert.deepEqual(shipped.slice(0, RECORDED[dialect].length).map(checksumOf), RECORDED[dialect]);
    });
  }
});
