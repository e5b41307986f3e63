import type Database from "better-sqlite3";

/** Rows as better-sqlite3 returns them. */
export type Row = Record<string, unknown>;

/** What the SQLite store lends each aggregate file: its statement cache, its write transaction and its hints. */
export interface SqliteDeps {
  /** The adapter's prepared statement for `sql` (one cache per connection). */
  stmt(sql: string): Database.Statement;
  /** BEGIN IMMEDIATE with SQLITE_BUSY retries (the adapter's). */
  write<T>(fn: () => T): Promise<T>;
  /** Wakes this file's workers in this process for jobs just inserted or made due. */
  hint(jobs: readonly { queue: string; runAt: number }[]): void;
}
