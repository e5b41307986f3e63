import { shippedMigrations } from "../../store/migrations.ts";
import { checksumOf, type Migration } from "../../store/shared/migrator.ts";

export interface SqlFile {
  /** Relative to the export folder, e.g. `postgres/0001_initial.sql`. */
  path: string;
  text: string;
}

/** PostgreSQL schemas tickflow accepts (as TICKFLOW_PG_SCHEMA). */
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * tickflow's migrations as SQL files, for teams that apply schema changes with their own tool
 * (Flyway, Liquibase, sqitch, psql in a pipeline). Each file is the shipped migration byte for
 * byte, followed by the row tickflow's migrator writes to `tickflow_migrations` (version, name,
 * checksum), so `tickflow migrate` and startup find it applied and never run it again. Apply the
 * files in order, each in one transaction.
 */
export function renderSqlMigrations(options: { schema?: string } = {}): SqlFile[] {
  const schema = options.schema ?? "tickflow";
  if (!SCHEMA_RE.test(schema)) {
    throw new Error(
      `invalid PostgreSQL schema ${JSON.stringify(schema)}: use lowercase letters, digits and "_"`,
    );
  }
  return [
    ...shippedMigrations("sqlite").map((m) => ({ path: `sqlite/${fileName(m)}`, text: sqliteFile(m) })),
    ...shippedMigrations("postgres").map((m) => ({
      path: `postgres/${fileName(m)}`,
      text: postgresFile(m, schema),
    })),
    { path: "README.md", text: readme(schema) },
  ];
}

const fileName = (m: Migration) => `${String(m.version).padStart(4, "0")}_${m.name}.sql`;

function sqliteFile(m: Migration): string {
  return `-- tickflow migration ${m.version} (${m.name}) for SQLite, exported by \`tickflow init --sql\`.
-- Apply the files in order, each in one transaction (sqlite3 tickflow.db < this-file works: the
-- statements below run in one BEGIN … COMMIT). Never edit it: tickflow compares its checksum.
BEGIN;
CREATE TABLE IF NOT EXISTS tickflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL);
-- ── migration ${m.version} as shipped ──
${m.sql.trim()}
-- ── recorded as applied ──
INSERT INTO tickflow_migrations (version, name, checksum, applied_at)
  VALUES (${m.version}, '${m.name}', '${checksumOf(m)}', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
COMMIT;
`;
}

function postgresFile(m: Migration, schema: string): string {
  return `-- tickflow migration ${m.version} (${m.name}) for PostgreSQL, exported by \`tickflow init --sql\`.
-- Apply the files in order, each in one transaction (psql -v ON_ERROR_STOP=1 -1 -f this-file, or
-- your migration tool). Tables go to the schema "${schema}" (TICKFLOW_PG_SCHEMA must name the same
-- one). Never edit it: tickflow compares its checksum.
CREATE SCHEMA IF NOT EXISTS ${schema};
SET search_path TO ${schema};
CREATE TABLE IF NOT EXISTS tickflow_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at bigint NOT NULL);
-- ── migration ${m.version} as shipped ──
${m.sql.trim()}
-- ── recorded as applied ──
INSERT INTO tickflow_migrations (version, name, checksum, applied_at)
  VALUES (${m.version}, '${m.name}', '${checksumOf(m)}', (extract(epoch FROM now()) * 1000)::bigint);
`;
}

function readme(schema: string): string {
  return `# tickflow's database schema

Exported by \`tickflow init --sql\`. tickflow migrates its own schema at startup and with
\`tickflow migrate\`; these files are for teams that apply schema changes with their own tool.

- \`sqlite/NNNN_name.sql\` and \`postgres/NNNN_name.sql\`: the same migrations for each dialect.
  Apply them in order, each in one transaction.
- Each file ends by recording itself in \`tickflow_migrations\` (version, name, checksum), exactly as
  tickflow's migrator does: \`tickflow migrate --dry-run\` then shows nothing pending, and startup
  applies nothing. A file whose text was edited is refused by tickflow (its checksum differs).
- PostgreSQL: the tables go to the schema \`${schema}\`; run tickflow with
  \`TICKFLOW_PG_SCHEMA=${schema}\` (the default is \`tickflow\`). Export for another schema with
  \`tickflow init --sql <dir> --schema <name>\`.
- After upgrading tickflow, export again and apply the new files only: migrations are
  append-only and never drop or rewrite data.
`;
}
