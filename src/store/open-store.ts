import { parseDatabaseUrl } from "../config/database-url.ts";
import { PostgresStore } from "./postgres/postgres-store.ts";
import { SqliteStore } from "./sqlite/sqlite-store.ts";
import type { Store } from "./store.ts";

export interface OpenStoreOptions {
  /** Jobs this process runs at once: sizes the PostgreSQL pool (see postgresPoolSize). */
  concurrency?: number;
  /** PostgreSQL schema (default: env TICKFLOW_PG_SCHEMA, else `tickflow`). */
  schema?: string;
  /** Connection problems a PostgreSQL store recovered from (dropped backends, lost LISTEN). */
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
  if (location.kind === "sqlite") return new SqliteStore(location.file);
  return new PostgresStore(location.url, {
    schema: options.schema ?? (process.env.TICKFLOW_PG_SCHEMA || "tickflow"),
    poolSize: postgresPoolSize(options.concurrency ?? 10),
    applicationName: "tickflow",
    onError: options.onError,
  });
}
