import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SchemaTooNewError } from "../../src/errors.ts";
import { shippedMigrations } from "../../src/store/migrations.ts";
import { type Migration, planMigrations } from "../../src/store/shared/migrator.ts";

const sqliteMigrations = shippedMigrations("sqlite");
const postgresMigrations = shippedMigrations("postgres");

const DESTRUCTIVE = /\b(DROP\s+TABLE|DROP\s+COLUMN|TRUNCATE|DELETE\s+FROM)\b/i;

describe("migrations", () => {
  it("both dialects ship the same versions with the same names, numbered upwards from 1", () => {
    const list = (ms: readonly Migration[]) => ms.map((m) => `${m.version}:${m.name}`);
    assert.deepEqual(list(sqliteMigrations), list(postgresMigrations));
    assert.equal(sqliteMigrations[0]?.version, 1);
    // Increasing; a gap only where a number is reserved by a branch not merged yet.
    for (const [i, m] of sqliteMigrations.entries()) {
      if (i > 0) assert.ok(m.version > sqliteMigrations[i - 1]!.version, `migration ${m.version}`);
    }
  });

  it("never destroy data unless a line says why with tickflow:allow-destructive", () => {
    for (const m of [...sqliteMigrations, ...postgresMigrations]) {
      const bad = m.sql
        .split("\n")
        .filter((line) => DESTRUCTIVE.test(line) && !line.includes("tickflow:allow-destructive"));
      assert.deepEqual(bad, [], `migration ${m.version} (${m.name})`);
    }
  });

  it("refuse a database newer than the code, and an edited shipped migration", () => {
    const known = sqliteMigrations;
    const applied = known.map((m) => ({ version: m.version, name: m.name, checksum: "x" }));
    assert.throws(() => planMigrations(known, applied), /differs from the one applied/);
    const newer = [{ version: known.at(-1)!.version + 1, name: "future", checksum: "y" }];
    assert.throws(() => planMigrations(known, newer), SchemaTooNewError);
  });
});
