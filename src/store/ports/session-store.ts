import type { SessionRow } from "./rows.ts";

/**
 * Dashboard sessions (issue 22): stored in tickflow's database, so a restart logs nobody out and
 * every process sharing the database accepts every session (no sticky sessions behind a load
 * balancer). Keys are digests of the cookie values, never the values. The policy — ids, limits,
 * flash messages — is src/sessions.ts's; this is its storage. Reads: `queries.getSession`.
 */
export interface SessionStore {
  /**
   * Stores a new session, and deletes every session `expired` says is over (so expired rows
   * never pile up; only a login creates a session).
   */
  createSession(row: SessionRow, expired: SessionExpiry): Promise<void>;
  /** The session was used at `now` (no row: nothing). */
  touchSession(key: string, now: number): Promise<void>;
  /** The message shown on the session's next page (null: none). */
  setSessionFlash(key: string, flash: string | null): Promise<void>;
  /** Logged out or expired: the cookie no longer opens anything, on any process. */
  deleteSession(key: string): Promise<void>;
}

/** Sessions last used before `idleBefore`, or created before `createdBefore`, are over. */
export interface SessionExpiry {
  idleBefore: number;
  createdBefore: number;
}
