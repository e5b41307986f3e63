import type { SessionRow } from "../ports/rows.ts";
import type { SessionExpiry, SessionStore } from "../ports/session-store.ts";
import type { SqliteDeps } from "./sqlite-deps.ts";

// ── statements (table from migration 10) ─────────────────────────────────────

const DELETE_EXPIRED = "DELETE FROM dashboard_sessions WHERE last_seen_at < ? OR created_at < ?";
const INSERT_SESSION =
  "INSERT INTO dashboard_sessions (key, csrf, created_at, last_seen_at, flash) VALUES (?, ?, ?, ?, ?)";
const TOUCH_SESSION = "UPDATE dashboard_sessions SET last_seen_at = max(last_seen_at, ?) WHERE key = ?";
const SET_FLASH = "UPDATE dashboard_sessions SET flash = ? WHERE key = ?";
const DELETE_SESSION = "DELETE FROM dashboard_sessions WHERE key = ?";

/** `store.sessions` on SQLite: the dashboard_sessions table (migration 10). */
export class SqliteSessions implements SessionStore {
  constructor(private readonly deps: Pick<SqliteDeps, "stmt" | "write">) {}

  createSession(row: SessionRow, expired: SessionExpiry): Promise<void> {
    const { stmt } = this.deps;
    return this.deps.write(() => {
      stmt(DELETE_EXPIRED).run(expired.idleBefore, expired.createdBefore);
      stmt(INSERT_SESSION).run(row.key, row.csrf, row.createdAt, row.lastSeenAt, row.flash);
    });
  }

  touchSession(key: string, now: number): Promise<void> {
    return this.run(TOUCH_SESSION, now, key);
  }

  setSessionFlash(key: string, flash: string | null): Promise<void> {
    return this.run(SET_FLASH, flash, key);
  }

  deleteSession(key: string): Promise<void> {
    return this.run(DELETE_SESSION, key);
  }

  private run(sql: string, ...values: unknown[]): Promise<void> {
    return this.deps.write(() => {
      this.deps.stmt(sql).run(...values);
    });
  }
}
