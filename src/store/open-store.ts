import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseDatabaseUrl } from "../config/database-url.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
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

/** The composition root's one place that names an adapter. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = parseDatabaseUrl(url);
  if (location.kind === "sqlite") {
    const folder = dirname(resolve(location.file));
    if (location.file !== ":memory:" && !existsSync(folder)) {
      // better-sqlite3 says "the directory does not exist" with a stack; name the setting instead.
      throw new ConfigError([
        `TICKFLOW_DATABASE_URL (database): the folder ${folder} of "${url}" does not exist: create it (mkdir -p ${folder}) or point the setting at an existing folder`,
      ]);
    }
    return new SqliteStore(location.file, { onError: options.onError, onWarning: options.onWarning });
  }
  return new PostgresStore(location.url, {
    schema: options.schema ?? (process.env.TICKFLOW_PG_SCHEMA || "tickflow"),
    poolSize: postgresPoolSize(options.concurrency ?? 10),
    applicationName: "tickflow",
    onError: options.onError,
  });
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
