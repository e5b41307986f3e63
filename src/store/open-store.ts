import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
import type { Store } from "./store.ts";

export type DatabaseLocation = { kind: "sqlite"; file: string } | { kind: "postgres"; url: string };

/** `sqlite:<path>` (or `sqlite::memory:`) | `postgres://…` / `postgresql://…`. */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (file.length === 0)
      throw new ConfigError([`TICKFLOW_DATABASE_URL: "${url}" names no file (use sqlite:./tickflow.db)`]);
    return { kind: "sqlite", file };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: "postgres", url };
  throw new ConfigError([
    `TICKFLOW_DATABASE_URL: "${redactUrl(url)}" is not supported (use sqlite:<path> or postgres://user@host/db)`,
  ]);
}

/** Hides a password in a connection URL before it reaches a message. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, "//$1:***@");
}

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
    return new SqliteStore(location.file, { onError: options.onError });
  }
  return new PostgresStore(location.url, {
    schema: options.schema ?? (process.env.TICKFLOW_PG_SCHEMA || "tickflow"),
    poolSize: postgresPoolSize(options.concurrency ?? 10),
    applicationName: "tickflow",
    onError: options.onError,
  });
}
