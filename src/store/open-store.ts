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

/** The composition root's one place that names an adapter. */
export async function openStore(url: string): Promise<Store> {
  const location = parseDatabaseUrl(url);
  if (location.kind === "sqlite") return new SqliteStore(location.file);
  return new PostgresStore(location.url, { schema: process.env.TICKFLOW_PG_SCHEMA || "tickflow" });
}
