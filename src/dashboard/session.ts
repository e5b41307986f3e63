import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Dashboard sessions: a random 32-byte id in an HttpOnly, SameSite=Strict cookie scoped to
 * /dashboard, mapped server-side (by the id's SHA-256, so a heap dump holds no usable cookie) to
 * an expiry and a per-session CSRF token. In memory: a restart logs everyone out, which is the
 * safe failure. Pure apart from `randomBytes`; time comes from `now`.
 */

export const SESSION_COOKIE = "tickflow_session";
export const COOKIE_PATH = "/dashboard";
/** A session unused this long ends. */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** …and none lives longer than this, used or not. */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** More live sessions than this: the oldest goes (bounds memory against login floods). */
export const MAX_SESSIONS = 10_000;

export interface Session {
  /** Hidden field `_csrf` of every form. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** One message shown on the next page (after an action's redirect). */
  flash: { kind: "ok" | "error"; text: string } | null;
}

export interface SessionStoreOptions {
  now?: () => number;
  idleMs?: number;
  maxMs?: number;
  maxSessions?: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;
  private readonly idleMs: number;
  private readonly maxMs: number;
  private readonly maxSessions: number;

  constructor(options: SessionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.maxMs = options.maxMs ?? SESSION_MAX_MS;
    this.maxSessions = options.maxSessions ?? MAX_SESSIONS;
  }

  /** A new session; returns the cookie value (the only place the raw id exists) and the session. */
  create(): { id: string; session: Session } {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) {
      // Maps iterate in insertion order: the first key is the oldest session.
      this.sessions.delete(this.sessions.keys().next().value!);
    }
    const id = randomBytes(32).toString("base64url");
    const now = this.now();
    const session: Session = {
      csrf: randomBytes(32).toString("base64url"),
      createdAt: now,
      lastSeenAt: now,
      flash: null,
    };
    this.sessions.set(digestKey(id), session);
    return { id, session };
  }

  /** The live session for a cookie value (and its idle timer restarted), or null. */
  get(id: string | undefined): Session | null {
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const key = digestKey(id);
    const session = this.sessions.get(key);
    if (!session) return null;
    const now = this.now();
    if (this.expired(session, now)) {
      this.sessions.delete(key);
      return null;
    }
    session.lastSeenAt = now;
    return session;
  }

  destroy(id: string | undefined): void {
    if (typeof id === "string") this.sessions.delete(digestKey(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Seconds the cookie should live (the absolute limit; the idle limit is enforced here). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.maxMs / 1_000);
  }

  private expired(session: Session, now: number): boolean {
    return now - session.lastSeenAt > this.idleMs || now - session.createdAt > this.maxMs;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (this.expired(session, now)) this.sessions.delete(key);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Key for the session map: a Buffer cannot be a Map key by value, so its hex. */
function digestKey(text: string): string {
  return digest(text).toString("hex");
}

/** Constant-time comparison of a submitted CSRF token with the session's (hashed: equal lengths). */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== "string" || submitted.length === 0 || submitted.length > 200) return false;
  return timingSafeEqual(digest(session.csrf), digest(submitted));
}

/** Cookies of a request header, by name (first occurrence wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieOptions {
  maxAgeSeconds: number;
  secure: boolean;
}

/** The Set-Cookie value of the session cookie; `maxAgeSeconds: 0` clears it. */
export function sessionCookie(value: string, options: CookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${options.maxAgeSeconds}`,
  ];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

export interface OriginInput {
  method: string;
  /** Sec-Fetch-Site: set by the browser, not by page script; absent in old browsers and non-browsers. */
  secFetchSite: string | undefined;
  origin: string | undefined;
  /** `https` or `http`, as the client used it (trusted proxy's X-Forwarded-Proto taken into account). */
  protocol: string;
  host: string | undefined;
}

/**
 * Whether a state-changing request comes from a dashboard page (the cross-origin protection of
 * modern frameworks): with Sec-Fetch-Site, only `same-origin` passes (`same-site` too is refused:
 * another port on the same host is a different origin); else with Origin, it must be this
 * server's own origin (`null` never is); with neither (an old browser or a script), the request
 * passes here and the session's CSRF token decides. Safe methods always pass.
 */
export function isSameOriginRequest(input: OriginInput): boolean {
  const method = input.method.toUpperCase();
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return true;
  if (input.secFetchSite !== undefined) return input.secFetchSite.trim().toLowerCase() === "same-origin";
  if (input.origin !== undefined) {
    if (!input.host) return false;
    return input.origin.trim().toLowerCase() === `${input.protocol}://${input.host}`.toLowerCase();
  }
  return true;
}

/** Where to go after logging in: only a dashboard path, never another host (`//evil`, `/\\evil`). */
export function safeNextPath(next: unknown): string {
  if (typeof next !== "string") return COOKIE_PATH;
  if (!/^\/dashboard(\/[A-Za-z0-9._~\-/%]*)?(\?[A-Za-z0-9._~\-=&%+,]*)?$/.test(next)) return COOKIE_PATH;
  if (next.includes("//") || next.includes("\\")) return COOKIE_PATH;
  if (next.startsWith("/dashboard/login") || next.startsWith("/dashboard/logout")) return COOKIE_PATH;
  return next;
}
