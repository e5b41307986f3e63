import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TickflowError } from "../errors.ts";
import { BASE } from "./layout.ts";
import { type DashboardContext, isLive, sendError } from "./routes/context.ts";
import {
  COOKIE_PATH,
  csrfMatches,
  isSameOriginRequest,
  SESSION_COOKIE,
  type Session,
  safeNextPath,
} from "./session.ts";

const FORM_BODY_LIMIT = 16 * 1024;

/**
 * Security headers on every dashboard response, through helmet: a strict CSP (no inline script or
 * style, nothing from elsewhere), no framing, no sniffing, no referrer outside the origin, and the
 * page isolated from other origins. No HSTS: the application (or its proxy) decides that for its
 * whole domain, not a plugin mounted in it.
 */
const HELMET = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  frameguard: { action: "deny" as const },
  referrerPolicy: { policy: "same-origin" as const },
  crossOriginOpenerPolicy: { policy: "same-origin" as const },
  crossOriginResourcePolicy: { policy: "same-origin" as const },
  strictTransportSecurity: false,
};

/** The flash message each request's session had when it was loaded: saved again only when it changed. */
const loadedFlash = new WeakMap<Session, string>();

export const cookieOf = (request: FastifyRequest): string | undefined => request.cookies[SESSION_COOKIE];

/** Sets (or, with `value` empty, clears) the session cookie at the dashboard's mount path. */
export function setSessionCookie(
  ctx: DashboardContext,
  request: FastifyRequest,
  reply: FastifyReply,
  value: string,
) {
  reply.setCookie(SESSION_COOKIE, value, {
    path: ctx.mount.outbound(COOKIE_PATH),
    httpOnly: true,
    sameSite: "strict",
    maxAge: value === "" ? 0 : ctx.sessions.cookieMaxAgeSeconds,
    secure: request.protocol === "https",
  });
}

const header = (request: FastifyRequest, name: string) => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The dashboard's own security, on its Fastify scope: cookies (@fastify/cookie, unless the
 * application registered it already), security headers (helmet), form bodies; then per request the
 * same-origin check on every POST (403), the session (login page if none) and the CSRF token (403);
 * errors as pages. The client's protocol is Fastify's `request.protocol`: X-Forwarded-Proto counts
 * only from a proxy the server's `trustProxy` trusts.
 */
export async function registerSecurity(dash: FastifyInstance, ctx: DashboardContext): Promise<void> {
  const { logger, mount } = ctx;
  if (!dash.hasRequestDecorator("cookies")) await dash.register(cookie);
  await dash.register(helmet, HELMET);
  dash.decorateRequest("dashboardSession", null);
  dash.addContentTypeParser(
    "application/x-www-form-urlencoded",
    { parseAs: "string", bodyLimit: FORM_BODY_LIMIT },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  dash.addHook("onSend", async (request, reply, payload) => {
    if (!mount.inbound(request.url).startsWith(`${BASE}/static/`)) reply.header("cache-control", "no-store");
    const session = request.dashboardSession;
    if (session && JSON.stringify(session.flash) !== loadedFlash.get(session))
      await ctx.sessions.saveFlash(session);
    if (!mount.translates) return payload;
    const location = reply.getHeader("location");
    if (typeof location === "string") reply.header("location", mount.outbound(location));
    const html = String(reply.getHeader("content-type") ?? "").startsWith("text/html");
    return html && typeof payload === "string" ? mount.outboundHtml(payload) : payload;
  });

  // Order: same-origin check on every POST (403), then the session (login page if none), then CSRF (403).
  dash.addHook("preHandler", async (request, reply) => {
    const post = request.method !== "GET" && request.method !== "HEAD";
    if (post && !sameOrigin(request)) {
      logger.warn(
        { ip: request.clientIp, url: request.url, origin: header(request, "origin") ?? null },
        "dashboard: cross-site request refused",
      );
      return sendError(
        reply,
        403,
        "Cross-site request refused: dashboard actions only come from its own pages.",
      );
    }
    request.dashboardSession = await sessionOf(ctx, request, reply);
    if (request.dashboardSession)
      loadedFlash.set(request.dashboardSession, JSON.stringify(request.dashboardSession.flash));
    if (request.routeOptions.config.dashboardPublic) return;
    if (!request.dashboardSession) {
      if (isLive(request)) return reply.code(401).type("text/plain").send("session expired");
      const next = request.method === "GET" ? mount.inbound(request.url) : BASE;
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

function sameOrigin(request: FastifyRequest): boolean {
  return isSameOriginRequest({
    method: request.method,
    secFetchSite: header(request, "sec-fetch-site"),
    origin: header(request, "origin"),
    protocol: request.protocol,
    host: request.host,
  });
}

/**
 * The request's session: its cookie's, if live. With `auth: "app"` the application's own hooks
 * have let the request in, so a request without one gets a new session (and its cookie) at once.
 */
async function sessionOf(ctx: DashboardContext, request: FastifyRequest, reply: FastifyReply) {
  const session = await ctx.sessions.get(cookieOf(request));
  if (session || !ctx.appDecides) return session;
  const created = await ctx.sessions.create();
  setSessionCookie(ctx, request, reply, created.id);
  return created.session;
}
