import { ConfigError } from "../errors.ts";

/**
 * Where the database is, from its URL: parsed and redacted here, apart from the adapters, so that
 * loading and validating a config loads no database driver (store/open-store.ts opens it).
 */
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
