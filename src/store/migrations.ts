import { embeddedMigrations } from "./migrations.generated.ts";
import type { Migration } from "./shared/migrator.ts";

/**
 * The schema each adapter ships, as `.sql` files per dialect (src/store/sqlite/migrations,
 * src/store/postgres/migrations: NNNN_name.sql), embedded at build time by scripts/embed-sql.mjs.
 * Append-only: never edit a shipped file (its sha256 is the checksum databases record in
 * tickflow_migrations), add the next number — the same numbers and names for both dialects.
 *
 * SQLite: times are INTEGER epoch milliseconds; JSON is TEXT. PostgreSQL: times are bigint epoch
 * milliseconds (the contract speaks epoch ms); JSON is text, so a payload reads back byte for byte
 * as it was written; the text is schema-neutral: the migrator runs it with `search_path` set to
 * tickflow's schema, so one checksum holds for every schema name.
 *
 * Needs no driver: `init --sql` exports these without opening a database.
 */
export function shippedMigrations(dialect: "sqlite" | "postgres"): readonly Migration[] {
  return embeddedMigrations[dialect];
}
