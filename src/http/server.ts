import rateLimit from "@fastify/rate-limit";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { type CidrRule, matchesAny, parseCidrList, resolveClientIp } from "../core/cidr.ts";
import { createTokenCheck } from "./auth.ts";
import { HTTP_TIMEOUTS, type HttpDeps } from "./deps.ts";
import { createErrorHandler, errorBody } from "./errors.ts";
import { registerApiRoutes } from "./routes/api.ts";
import { registerBadgeRoutes } from "./routes/badges.ts";
import { registerHealthRoute } from "./routes/health.ts";
import { registerHeartbeatRoute } from "./routes/heartbeat.ts";
import { registerMetricsRoute } from "./routes/metrics.ts";
import { registerPingRoutes } from "./routes/pings.ts";

/** 64 KiB: the API takes small JSON bodies (payloads, filters); anything bigger is a mistake or abuse. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export { HTTP_TIMEOUTS, type HttpTimeouts } from "./deps.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The client address after the trusted-proxy rules (what allow-list and rate limit use). */
    clientIp: string;
    /** A valid bearer token came with the request. */
    authenticated: boolean;
  }
  interface FastifyContextConfig {
    /** "token": refused without a valid token; "open": anyone the allow-list lets in. */
    access?: "token" | "open";
  }
}

/**
 * The HTTP face of `tickflow start`. Order of checks on every request: allow-list (403), rate
 * limit (429), then token for protected routes (401). Nothing is open by default: with no token
 * configured, protected routes refuse.
 */
export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const { config, logger } = deps;
  const allowed: CidrRule[] = parseCidrList(config.allowedIps, "allowedIps");
  const trusted: CidrRule[] = parseCidrList(config.trustedProxies, "trustedProxies");
  const checkToken = createTokenCheck(config.tokens);
  const timeouts = { ...HTTP_TIMEOUTS, ...deps.timeouts };
  const app = Fastify({
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkEveryMs },
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    trustProxy: false,
    return503OnClosing: true,
  });

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
    request.authenticated = checkToken(request.headers.authorization);
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
  await (await import("../dashboard/index.ts")).registerDashboard(app, deps);
  if (config.tokens.length === 0) {
    logger.warn("HTTP API has no token: protected routes refuse every request until TICKFLOW_TOKEN is set");
  }
  return app;
}
