import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { SessionStore } from "./store/ports/session-store.ts";
import type { StoreQueries } from "./store/ports/store-queries.ts";

/**
 * Dashboard sessions: a random 32-byte id in an HttpOnly, SameSite=Strict cookie, stored in
 * tickflow's database by the id's SHA-256 (the database holds no usable cookie) with its expiry
 * and a per-session CSRF token. Stored, not in memory: a restart logs nobody out, and every
 * process on the database accepts every session, so replicas need no sticky sessions. A logout
 * deletes the row: the cookie then opens nothing anywhere. Time comes from the caller's clock.
 */

/** A session unused this long ends. */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** …and none lives longer than this, used or not. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/**
 * A use is written back at most this often (live updates every few seconds do not write each
 * time), and at most a quarter of the idle limit: a session may end up to this much early.
 */
export const SESSION_TOUCH_MS = 60_000;
/** Flash messages are short; a long error message is cut here. */
const FLASH_MAX = 500;

export interface Session {
  /** The digest of the cookie value: the stored row's key. */
  readonly key: string;
  /** Hidden field `_csrf` of every form. */
  readonly csrf: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** One message shown on the next page (after an action's redirect); saved when it changes. */
  flash: Flash | null;
}

export interface Flash {
  kind: "ok" | "error";
  text: string;
}

export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

/** What DashboardSessions needs of the store: its session writes and its one read. */
export interface SessionStorage {
  sessions: SessionStore;
  queries: Pick<StoreQueries, "getSession">;
}

export class DashboardSessions {
  private readonly limits: SessionLimits;
  private readonly touchMs: number;

  constructor(
    private readonly storage: SessionStorage,
    private readonly now: () => number,
    limits: Partial<SessionLimits> = {},
  ) {
    this.limits = { idleMs: limits.idleMs ?? SESSION_IDLE_MS, maxMs: limits.maxMs ?? SESSION_MAX_MS };
    this.touchMs = Math.min(SESSION_TOUCH_MS, this.limits.idleMs / 4);
  }

  /** A new session; returns the cookie value (the only place the raw id exists) and the session. */
  async create(): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString("base64url");
    const now = Math.floor(this.now());
    const session: Session = {
      key: digest(id).toString("hex"),
      csrf: randomBytes(32).toString("base64url"),
      createdAt: now,
      lastSeenAt: now,
      flash: null,
    };
    await this.storage.sessions.createSession(
      { key: session.key, csrf: session.csrf, createdAt: now, lastSeenAt: now, flash: null },
      { idleBefore: now - this.limits.idleMs, createdBefore: now - this.limits.maxMs },
    );
    return { id, session };
  }

  /** The live session for a cookie value (its use recorded), or null: none, malformed or expired. */
  async get(id: string | undefined): Promise<Session | null> {
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const key = digest(id).toString("hex");
    const row = await this.storage.queries.getSession(key);
    if (!row) return null;
    const now = Math.floor(this.now());
    if (now - row.lastSeenAt > this.limits.idleMs || now - row.createdAt > this.limits.maxMs) {
      await this.storage.sessions.deleteSession(key);
      return null;
    }
    if (now - row.lastSeenAt >= this.touchMs) await this.storage.sessions.touchSession(key, now);
    return { key, csrf: row.csrf, createdAt: row.createdAt, lastSeenAt: now, flash: parseFlash(row.flash) };
  }

  /** Saves the session's flash message (set by an action, cleared by the page that showed it). */
  async saveFlash(session: Session): Promise<void> {
    const flash = session.flash
      ? JSON.stringify({ kind: session.flash.kind, text: session.flash.text.slice(0, FLASH_MAX) })
      : null;
    await this.storage.sessions.setSessionFlash(session.key, flash);
  }

  async destroy(session: Session): Promise<void> {
    await this.storage.sessions.deleteSession(session.key);
  }

  /** Seconds the cookie should live (the absolute limit; the idle limit is enforced here). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.limits.maxMs / 1_000);
  }
}

function parseFlash(stored: string | null): Flash | null {
  if (stored === null) return null;
  try {
    const value = JSON.parse(stored) as Flash;
    return (value.kind === "ok" || value.kind === "error") && typeof value.text === "string" ? value : null;
  } catch {
    return null;
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Constant-time comparison of a submitted CSRF token with the session's (hashed: equal lengths). */
export function csrfMatches(session: Pick<Session, "csrf">, submitted: unknown): boolean {
  if (typeof submitted !== "string" || submitted.length === 0 || submitted.length > 200) return false;
  return timingSafeEqual(digest(session.csrf), digest(submitted));
}
