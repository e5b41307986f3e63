import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { PoolConfig } from "pg";
import { parseDatabaseUrl } from "../config/database-url.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ApplicationPool } from "./pg-client.ts";
import type { Store } from "./store.ts";

export interface OpenStoreOptions {
  /** Jobs this process runs at once: sizes the PostgreSQL pool (see postgresPoolSize). */
  concurrency?: number;
  /** PostgreSQL schema (default: env TICKFLOW_PG_SCHEMA, else `tickflow`). */
  schema?: string;
  /**
   * Problems a store recovered from: dropped backends and a lost LISTEN (PostgreSQL), a write
   * lock another process held too long (SQLite).
   */
  onError?: (error: Error, where: string) => void;
  /** Said once when other processes cannot wake this one on SQLite (its workers then poll). */
  onWarning?: (message: string) => void;
  /**
   * PostgreSQL: the application's own pool. tickflow opens its connections with this pool's
   * connection settings (host, user, password, ssl, …) instead of a URL; the pool itself is
   * left to the application (tickflow's statements need session settings of their own, so they
   * never borrow the application's connections) and is not ended by tickflow.
   */
  pool?: ApplicationPool;
}

/**
 * PostgreSQL pool connections for a process running `concurrency` jobs at once: the worker pool
 * keeps at most one claim and one finish batch in flight, plus lease renewals and the state loads
 * of starting stateful jobs, so connections beyond ~10 only queue on the server's 2-4 busy cores;
 * +2 for the scheduler and maintenance. The LISTEN connection is separate (not pooled).
 */
export function postgresPoolSize(concurrency: number): number {
  return Math.min(Math.max(1, Math.floor(concurrency)), 10) + 2;
}

/**
 * The composition root's one place that names an adapter. Each adapter, and so its driver, is
 * imported when a URL needs it: a PostgreSQL process never loads better-sqlite3, a SQLite one never
 * loads pg, and `import "tickflow"` loads neither.
 */
export async function openStore(url: string | undefined, options: OpenStoreOptions = {}): Promise<Store> {
  if (options.pool !== undefined) {
    const settings = (options.pool as { options?: PoolConfig } | null)?.options;
    if (typeof (options.pool as { connect?: unknown } | null)?.connect !== "function" || !settings) {
      throw new ConfigError(["pool must be a pg.Pool (new pg.Pool({ … }) from the pg package)"]);
    }
    const { PostgresStore } = await loadDriver("pg", () => import("./postgres/postgres-store.ts"));
    return new PostgresStore(settings, postgresOptions(options));
  }
  const location = parseDatabaseUrl(url ?? "sqlite:./tickflow.db");
  if (location.kind === "sqlite") {
    const { SqliteStore } = await loadDriver("better-sqlite3", () => import("./sqlite/sqlite-store.ts"));
    const folder = dirname(resolve(location.file));
    if (location.file !== ":memory:" && !existsSync(folder)) {
      // better-sqlite3 says "the directory does not exist" with a stack; name the setting instead.
      throw new ConfigError([
        `TICKFLOW_DATABASE_URL (database): the folder ${folder} of "${url}" does not exist: create it (mkdir -p ${folder}) or point the setting at an existing folder`,
      ]);
    }
    return openSqlite(
      () => new SqliteStore(location.file, { onError: options.onError, onWarning: options.onWarning }),
    );
  }
  const { PostgresStore } = await loadDriver("pg", () => import("./postgres/postgres-store.ts"));
  return new PostgresStore(location.url, postgresOptions(options));
}

function postgresOptions(options: OpenStoreOptions) {
  return {
    schema: options.schema ?? (process.env.TICKFLOW_PG_SCHEMA || "tickflow"),
    poolSize: postgresPoolSize(options.concurrency ?? 10),
    applicationName: "tickflow",
    onError: options.onError,
  };
}

/** The driver each URL needs, and the one line that says how to get it. */
const DRIVER_FOR: Record<DriverPackage, string> = {
  "better-sqlite3":
    "SQLite (sqlite:… URLs, the default) needs the better-sqlite3 package: npm install better-sqlite3",
  pg: "PostgreSQL needs the pg package: npm install pg",
};
type DriverPackage = "better-sqlite3" | "pg";

/** Imports an adapter; a driver missing from node_modules becomes one line naming the package. */
async function loadDriver<T>(driver: DriverPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (
      (e.code === "ERR_MODULE_NOT_FOUND" || e.code === "MODULE_NOT_FOUND") &&
      new RegExp(`['"]${driver}['"/]`).test(e.message)
    ) {
      throw new ConfigError([DRIVER_FOR[driver]]);
    }
    throw error;
  }
}

/** better-sqlite3 installed without its native module (an optional install whose build failed). */
function openSqlite<T>(open: () => T): T {
  try {
    return open();
  } catch (error) {
    if (
      /Could not locate the bindings file|NODE_MODULE_VERSION|invalid ELF header/.test(
        (error as Error).message,
      )
    ) {
      throw new ConfigError([
        `better-sqlite3's native module is not built for Node ${process.version}: npm rebuild better-sqlite3 (${(error as Error).message.split("\n")[0]})`,
      ]);
    }
    throw error;
  }
}

/**
 * How a problem the store recovered from reads in the log: dropped connections (killed backends,
 * a restarted server), and a SQLite write lock held too long by another process.
 */
export function storeProblemMessage(error: Error, where: string): string {
  return where === "sqlite write lock"
    ? `database write lock: ${error.message}`
    : `database connection problem (${where}): ${error.message}`;
}

/** The store's problem reports as log lines on `logger` (the instance's, once it exists). */
export function storeReports(
  logger: () => Logger | undefined,
): Pick<OpenStoreOptions, "onError" | "onWarning"> {
  return {
    onError: (error, where) => logger()?.warn({ err: error, where }, storeProblemMessage(error, where)),
    onWarning: (message) => logger()?.warn(message),
  };
}
