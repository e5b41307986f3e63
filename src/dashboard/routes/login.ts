import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createTokenCheck } from "../../http/auth.ts";
import { BASE } from "../layout.ts";
import { loginPage } from "../pages/login.ts";
import { setSessionCookie } from "../security.ts";
import { safeNextPath } from "../session.ts";
import { type DashboardContext, open, publicRoute, sendHtml } from "./context.ts";

/** The stylesheet and script, read once from beside the dashboard: src/dashboard/static from source, dist/dashboard/static in the package (the build copies them). */
function readStatic(name: string): string {
  try {
    return readFileSync(new URL(`../static/${name}`, import.meta.url), "utf8");
  } catch {
    throw new Error(`dashboard asset ${name} is missing from the package (rebuild: npm run build)`);
  }
}

/**
 * The web dashboard at /dashboard, on the HTTP service's Fastify app: server-rendered pages, one
 * stylesheet and one small script (live updates), no CDN. The app's allow-list, trusted proxies
 * and rate limit apply; the routes are `access: "open"` to the bearer-token check and do their own:
 * a session cookie from the login page (the API token, checked in constant time), a CSRF token in
 * every form and a same-origin check on every POST.
 */
/** The dashboard's one account: whoever holds an API token. The back-off is kept per account. */
const LOGIN_ACCOUNT = "api-token";

/** The login page, login and logout, and the two static assets. */
export function registerLoginRoutes(dash: FastifyInstance, ctx: DashboardContext): void {
  const { config, logger, sessions, loginBackoff, now } = ctx;
  const checkToken = createTokenCheck(config.tokens);
  const css = readStatic("dashboard.css");
  const js = readStatic("dashboard.js");

  dash.get("/login", publicRoute, async (request, reply) => {
    const next = safeNextPath((request.query as Record<string, unknown>).next);
    if (request.dashboardSession) return reply.redirect(next, 303);
    return sendHtml(reply, 200, loginPage({ next, error: null, noToken: config.tokens.length === 0 }));
  });

  dash.post("/login", publicRoute, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNextPath(body.next);
    const token = typeof body.token === "string" ? body.token.trim() : "";
    const noToken = config.tokens.length === 0;
    // Locked after repeated failures: refused without looking at the token, so a lock cannot be guessed through.
    const waitMs = loginBackoff.retryInMs(LOGIN_ACCOUNT, now());
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1_000);
      logger.warn(
        {
          ip: request.clientIp,
          failures: loginBackoff.failures(LOGIN_ACCOUNT, now()),
          retryInSeconds: seconds,
        },
        "dashboard: login refused (locked after repeated wrong tokens)",
      );
      reply.header("retry-after", String(seconds));
      return sendHtml(
        reply,
        429,
        loginPage({ next, error: `Too many wrong tokens: try again in ${seconds} s.`, noToken }),
      );
    }
    if (!checkToken(`Bearer ${token}`)) {
      const lockMs = loginBackoff.fail(LOGIN_ACCOUNT, now());
      logger.warn(
        {
          ip: request.clientIp,
          failures: loginBackoff.failures(LOGIN_ACCOUNT, now()),
          lockedForSeconds: Math.ceil(lockMs / 1_000),
        },
        "dashboard: login refused (wrong token)",
      );
      return sendHtml(reply, 401, loginPage({ next, error: "That token is not valid.", noToken }));
    }
    loginBackoff.succeed(LOGIN_ACCOUNT);
    // A new session for a new login (never one the browser brought: no session fixation).
    if (request.dashboardSession) await sessions.destroy(request.dashboardSession);
    const { id, session } = await sessions.create();
    request.dashboardSession = session;
    logger.info({ ip: request.clientIp }, "dashboard: logged in");
    setSessionCookie(ctx, request, reply, id);
    return reply.redirect(next, 303);
  });

  dash.post("/logout", open, async (request, reply) => {
    if (request.dashboardSession) await sessions.destroy(request.dashboardSession);
    request.dashboardSession = null;
    setSessionCookie(ctx, request, reply, "");
    return reply.redirect(`${BASE}/login`, 303);
  });

  const asset = (type: string, body: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type(type).header("cache-control", "private, max-age=3600").send(body);
  dash.get("/static/dashboard.css", publicRoute, asset("text/css; charset=utf-8", css));
  dash.get("/static/dashboard.js", open, asset("text/javascript; charset=utf-8", js));
}
