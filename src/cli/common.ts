import { existsSync } from "node:fs";
import type { Command } from "commander";
import { parseDatabaseUrl, redactUrl } from "../config/database-url.ts";
import type { ResolvedConfig } from "../config/schema.ts";
import { TickflowError } from "../errors.ts";
import type { Tickflow } from "../tickflow.ts";

/** The validated config named by `--config` / TICKFLOW_CONFIG / ./tickflow.config.ts, with the environment. */
export async function loadCliConfig(
  command: Command,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const { loadConfig } = await import("../config/load.ts");
  return loadConfig({ file: command.optsWithGlobals().config, env });
}

/**
 * The library, imported when a command first needs it: every command is registered at start (for
 * `--help`), and what a command runs loads only when it runs, so `tickflow --help` stays fast.
 */
export const loadTickflow = () => import("../tickflow.ts");

/** Connection problems: the database is down, unreachable, refuses us, or its file cannot be opened. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EACCES",
  "SQLITE_CANTOPEN",
  "SQLITE_NOTADB",
  "SQLITE_READONLY",
  // PostgreSQL: invalid authorization (no such role, pg_hba), bad password, no such database,
  // cannot connect now, too many connections.
  "28000",
  "28P01",
  "3D000",
  "57P03",
  "53300",
]);

/**
 * The one line the CLI prints for an error: the message of a TickflowError (bad input, unknown
 * names, refused triggers), a clear sentence for a database that cannot be reached, the stack
 * trace only for what must be a bug.
 */
export function cliErrorMessage(error: unknown, databaseUrl?: string): string {
  if (error instanceof TickflowError) return error.message;
  const e = error as (Error & { code?: string; errors?: Error[] }) | undefined;
  const first = e?.errors?.[0] as (Error & { code?: string }) | undefined;
  const code = e?.code ?? first?.code;
  if (code && UNREACHABLE_CODES.has(code)) {
    const detail = (e?.message || first?.message || code).split("\n")[0];
    const where = databaseUrl ? ` ${redactUrl(databaseUrl)}` : "";
    return `cannot reach the database${where}: ${detail} (set TICKFLOW_DATABASE_URL or database in tickflow.config.ts)`;
  }
  if (
    error instanceof Error &&
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)
  ) {
    return `cannot reach the database${databaseUrl ? ` ${redactUrl(databaseUrl)}` : ""}: ${error.message}`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Thrown by the CLI's own checks: the message is the line printed. */
export class CliError extends TickflowError {
  constructor(message: string, code = "CLI") {
    super(code, message);
  }
}

/**
 * A Tickflow on the configured store for reading (no jobs, no services): listing commands need
 * no running server. Refuses a database with pending migrations rather than migrating it from a
 * read command.
 */
export async function withReader<T>(
  config: ResolvedConfig,
  fn: (tickflow: Tickflow) => Promise<T>,
  options: { requireMigrated?: boolean } = {},
): Promise<T> {
  requireDatabaseFile(config);
  const { createTickflow } = await loadTickflow();
  const tickflow = await connect(config, () =>
    createTickflow({ databaseUrl: config.database, concurrency: 1, limits: config.limits }),
  );
  try {
    if (options.requireMigrated ?? true) await requireMigrated(tickflow);
    return await fn(tickflow);
  } catch (error) {
    throw asCliError(error, config);
  } finally {
    await tickflow.stop().catch(() => undefined);
  }
}

/**
 * A read-only command must not create the database it reads (opening a SQLite path creates the
 * file): when the file is not there, say so and stop.
 */
export function requireDatabaseFile(config: ResolvedConfig): void {
  const location = parseDatabaseUrl(config.database);
  if (location.kind !== "sqlite" || location.file === ":memory:" || existsSync(location.file)) return;
  throw new CliError(
    `no database at ${config.database} (TICKFLOW_DATABASE_URL or database in tickflow.config.ts): tickflow start or tickflow migrate creates it`,
    "NO_DATABASE",
  );
}

/** Runs `open` and turns a connection failure into one clear line. */
export async function connect<T>(config: ResolvedConfig, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw asCliError(error, config);
  }
}

function asCliError(error: unknown, config: ResolvedConfig): unknown {
  if (error instanceof TickflowError) return error;
  const message = cliErrorMessage(error, config.database);
  return message.startsWith("cannot reach the database")
    ? new CliError(message, "DATABASE_UNREACHABLE")
    : error;
}

export async function requireMigrated(tickflow: Tickflow): Promise<void> {
  const pending = await tickflow.pendingMigrations();
  if (pending.length > 0) {
    throw new CliError(
      `the database has ${pending.length} pending migration(s) (${pending.map(migrationName).join(", ")}): run tickflow migrate`,
      "NOT_MIGRATED",
    );
  }
}

export const migrationName = (m: { version: number; name: string }) =>
  `${String(m.version).padStart(4, "0")}_${m.name}`;

/** A positive integer option, or a one-line error naming it. */
export function positiveInt(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliError(
      `${option} must be a positive integer, got ${JSON.stringify(value)}`,
      "INVALID_OPTION",
    );
  }
  return Number(value);
}

// `tickflow runs | head` closes stdout early: that is the reader's choice, not an error to report.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});
