import { createHash } from "node:crypto";
import { SchemaTooNewError, TickflowError } from "../../errors.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
}

export function checksumOf(migration: Migration): string {
  return createHash("sha256").update(migration.sql).digest("hex").slice(0, 16);
}

/**
 * Compares what the database has applied with what the code ships and returns what to apply.
 * Refuses a database newer than the code, and an applied migration whose text changed
 * (migrations are append-only: a changed checksum means someone edited a shipped file).
 */
export function planMigrations(
  known: readonly Migration[],
  applied: readonly AppliedMigration[],
): Migration[] {
  const latestKnown = known.at(-1)?.version ?? 0;
  const latestApplied = applied.reduce((max, m) => Math.max(max, m.version), 0);
  if (latestApplied > latestKnown) throw new SchemaTooNewError(latestApplied, latestKnown);
  const byVersion = new Map(applied.map((m) => [m.version, m]));
  for (const migration of known) {
    const done = byVersion.get(migration.version);
    if (done && done.checksum !== checksumOf(migration)) {
      throw new TickflowError(
        "MIGRATION_CHANGED",
        `migration ${migration.version} (${migration.name}) differs from the one applied to this database; shipped migrations must never be edited`,
      );
    }
  }
  return known.filter((m) => !byVersion.has(m.version));
}
