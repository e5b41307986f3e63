/**
 * The dashboard's request rules, pure: the session cookie's name, the same-origin check of every
 * POST and where a login may send the browser. Sessions themselves are src/sessions.ts's (stored in
 * tickflow's database); cookies are parsed and set by @fastify/cookie.
 */
export { csrfMatches, type Session } from "../sessions.ts";

export const SESSION_COOKIE = "tickflow_session";
/**
 * The dashboard's own paths, as its pages and routes are written; mounted elsewhere, its edge
 * translates them (mount-path.ts).
 */
export const COOKIE_PATH = "/dashboard";

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
