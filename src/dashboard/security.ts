import type { FastifyInstance, FastifyRequest } from "fastify";
import { type CidrRule, matchesAny, parseCidrList } from "../core/cidr.ts";
import { TickflowError } from "../errors.ts";
import { BASE } from "./layout.ts";
import { type DashboardContext, isLive, sendError } from "./routes/context.ts";
import { csrfMatches, isSameOriginRequest, parseCookies, SESSION_COOKIE, safeNextPath } from "./session.ts";

const FORM_BODY_LIMIT = 16 * 1024;
/** Sent with every dashboard response: no inline script or style, no framing, nothing cross-origin. */
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

export const cookieOf = (request: FastifyRequest) => parseCookies(request.headers.cookie).get(SESSION_COOKIE);

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** `https` when the client used TLS: directly, or per X-Forwarded-Proto from one of `trustedProxies`. */
export function protocolFrom(
  trustedProxies: readonly string[],
): (request: FastifyRequest) => "http" | "https" {
  const trusted: CidrRule[] = parseCidrList([...trustedProxies], "trustedProxies");
  return (request) => {
    if ((request.socket as { encrypted?: boolean }).encrypted) return "https";
    const peer = request.socket.remoteAddress ?? "";
    const header = request.headers["x-forwarded-proto"];
    if (trusted.length === 0 || header === undefined || !matchesAny(peer, trusted)) return "http";
    const last = (Array.isArray(header) ? header.join(",") : header).split(",").at(-1)?.trim().toLowerCase();
    return last === "https" ? "https" : "http";
  };
}

/**
 * The dashboard's own security, on its Fastify scope: form bodies, security headers on every
 * response, then per request the same-origin check on every POST (403), the session (login page if
 * none) and the CSRF token (403); errors as pages.
 */
export function registerSecurity(dash: FastifyInstance, ctx: DashboardContext): void {
  const { logger, sessions, protocolOf } = ctx;
  dash.decorateRequest("dashboardSession", null);
  dash.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  dash.addHook("onSend", async (request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    if (!request.url.startsWith(`${BASE}/static/`)) reply.header("cache-control", "no-store");
    return payload;
  });

  // Order: same-origin check on every POST (403), then the session (login page if none), then CSRF (403).
  dash.addHook("preHandler", async (request, reply) => {
    const post = request.method !== "GET" && request.method !== "HEAD";
    if (
      post &&
      !isSameOriginRequest({
        method: request.method,
        secFetchSite: header(request, "sec-fetch-site"),
        origin: header(request, "origin"),
        protocol: protocolOf(request),
        host: header(request, "host"),
      })
    ) {
      logger.warn(
        {
          ip: request.clientIp,
          url: request.url,
          origin: header(request, "origin") ?? null,
        },
        "dashboard: cross-site request refused",
      );
      return sendError(
        reply,
        403,
        "Cross-site request refused: dashboard actions only come from its own pages.",
      );
    }
    request.dashboardSession = sessions.get(cookieOf(request));
    if (request.routeOptions.config.dashboardPublic) return;
    if (!request.dashboardSession) {
      if (isLive(request)) return reply.code(401).type("text/plain").send("session expired");
      const next = request.method === "GET" ? request.url : BASE;
      return reply.redirect(`${BASE}/login?next=${encodeURIComponent(safeNextPath(next))}`, 303);
    }
    if (
      post &&
      !csrfMatches(request.dashboardSession, (request.body as Record<string, unknown> | undefined)?._csrf)
    ) {
      logger.warn({ ip: request.clientIp, url: request.url }, "dashboard: CSRF token missing or wrong");
      return sendError(
        reply,
        403,
        "This form has expired or did not come from the dashboard. Reload the page and try again.",
      );
    }
  });

  dash.setErrorHandler((error: Error, request, reply) => {
    if (error instanceof TickflowError && error.code === "NOT_FOUND")
      return sendError(reply, 404, error.message);
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) return sendError(reply, status, error.message);
    logger.error({ err: error, url: request.routeOptions.url }, `dashboard error: ${error.message}`);
    return sendError(reply, 500, "Something went wrong on the server; the details are in its log.");
  });
}
