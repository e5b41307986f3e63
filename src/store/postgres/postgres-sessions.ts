import type { SessionRow } from "../ports/rows.ts";
import type { SessionExpiry, SessionStore } from "../ports/session-store.ts";
import type { PostgresDeps } from "./postgres-deps.ts";

// ── statements (table from migration 10; unqualified, resolved through search_path) ──────────

const DELETE_EXPIRED = "DELETE FROM dashboard_sessions WHERE last_seen_at < $1 OR created_at < $2";
const INSERT_SESSION =
  "INSERT INTO dashboard_sessions (key, csrf, created_at, last_seen_at, flash) VALUES ($1, $2, $3, $4, $5)";
const TOUCH_SESSION =
  "UPDATE dashboard_sessions SET last_seen_at = greatest(last_seen_at, $1) WHERE key = $2";
const SET_FLASH = "UPDATE dashboard_sessions SET flash = $1 WHERE key = $2";
const DELETE_SESSION = "DELETE FROM dashboard_sessions WHERE key = $1";

/** `store.sessions` on PostgreSQL: the dashboard_sessions table (migration 10). */
export class PostgresSessions implements SessionStore {
  constructor(private readonly deps: Pick<PostgresDeps, "write">) {}

  async createSession(row: SessionRow, expired: SessionExpiry): Promise<void> {
    // Two autocommit statements: a sweep that loses a race with another process's sweep is harmless.
    await this.deps.write(DELETE_EXPIRED, [expired.idleBefore, expired.createdBefore]);
    await this.deps.write(INSERT_SESSION, [row.key, row.csrf, row.createdAt, row.lastSeenAt, row.flash]);
  }

  async touchSession(key: string, now: number): Promise<void> {
    await this.deps.write(TOUCH_SESSION, [now, key]);
  }

  async setSessionFlash(key: string, flash: string | null): Promise<void> {
    await this.deps.write(SET_FLASH, [flash, key]);
  }

  async deleteSession(key: string): Promise<void> {
    await this.deps.write(DELETE_SESSION, [key]);
  }
}
