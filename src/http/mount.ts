import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { type CidrRule, matchesAny, parseCidrList, resolveClientIp } from "../core/cidr.ts";
import { createTokenCheck } from "./auth.ts";
import type { HttpDeps } from "./deps.ts";
import { createErrorHandler, errorBody } from "./errors.ts";
import { registerApiRoutes } from "./routes/api.ts";
import { registerBadgeRoutes } from "./routes/badges.ts";
import { registerHealthRoute } from "./routes/health.ts";
import { registerHeartbeatRoute } from "./routes/heartbeat.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { registerPingRoutes } from "./routes/pings.ts";

/**
 * tickflow's HTTP routes — /health, /heartbeat, /metrics, /api/v1/* and (with `dashboard`) the
 * dashboard — as an encapsulated Fastify plugin: registered with a `prefix`, everything lives
 * under it, and its hooks apply to its own routes only. `tickflow start` registers it at the root;
 * an application registers it under its own prefix (src/fastify.ts, src/http-handler.ts), where
 * hooks the application added before it (its own authentication) run first.
 *
 * Order of checks on every request: allow-list (403), rate limit (429), then token for protected
 * routes (401) unless `auth: "app"`. Nothing is open by default: with no token configured and
 * tickflow deciding, protected routes refuse.
 */
export async function registerTickflowHttp(
  app: FastifyInstance,
  deps: HttpDeps & { dashboard?: boolean },
): Promise<void> {
  const appDecides = deps.auth === "app";
  const { config, logger } = deps;
  const allowed: CidrRule[] = parseCidrList(config.allowedIps, "allowedIps");
  const trusted: CidrRule[] = parseCidrList(config.trustedProxies, "trustedProxies");
  const checkToken = createTokenCheck(config.tokens);
  app.decorateRequest("clientIp", "");
  app.decorateRequest("authenticated", false);
  app.addHook("onRequest", async (request, reply) => {
    const peer = request.socket.remoteAddress ?? "";
    const forwarded = request.headers["x-forwarded-for"];
    request.clientIp = resolveClientIp(
      peer,
      Array.isArray(forwarded) ? forwarded.join(",") : forwarded,
      trusted,
    );
    if (allowed.length > 0 && !matchesAny(request.clientIp, allowed)) {
      logger.warn(
        { ip: request.clientIp, method: request.method, url: request.url },
        "HTTP request refused: address not allowed",
      );
      return reply.code(403).send(errorBody("FORBIDDEN", "this address is not allowed"));
    }
    request.authenticated = appDecides || checkToken(request.headers.authorization);
  });

  await app.register(rateLimit, {
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.windowMs,
    keyGenerator: (request: FastifyRequest) => request.clientIp,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      ...errorBody("RATE_LIMITED", `too many requests: at most ${context.max} per ${context.after}`),
    }),
  });

  app.addHook("preHandler", async (request, reply) => {
    if ((request.routeOptions.config.access ?? "token") === "open" || request.authenticated) return;
    const message =
      config.tokens.length === 0
        ? "no API token is configured on the server (set TICKFLOW_TOKEN)"
        : "missing or invalid bearer token (Authorization: Bearer <token>)";
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="tickflow"')
      .send(errorBody("UNAUTHORIZED", message));
  });

  app.addHook("onResponse", async (request, reply) => {
    // Method, route, status and client only: never headers or bodies (tokens live there). The
    // logger redacts the query string of every `url` field (src/core/redact-url.ts).
    logger.debug(
      {
        method: request.method,
        url: request.routeOptions.url ?? request.url,
        status: reply.statusCode,
        ip: request.clientIp,
        ms: Math.round(reply.elapsedTime),
      },
      "HTTP request",
    );
  });

  app.setErrorHandler(createErrorHandler(logger));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody("NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`)),
  );

  registerHealthRoute(app, deps);
  registerHeartbeatRoute(app, deps);
  registerMetricsRoute(app, deps);
  await registerPingRoutes(app, deps);
  registerBadgeRoutes(app, deps);
  await app.register(
    (api, _options, done) => {
      registerApiRoutes(api, deps);
      done();
    },
    { prefix: "/api/v1" },
  );
  // The web dashboard at /dashboard: session login with the API token, CSRF-checked actions (src/dashboard).
  if (deps.dashboard) await (await import("../dashboard/index.ts")).registerDashboard(app, deps);
}
