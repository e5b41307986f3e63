import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify from "fastify";
import { resolveMountOptions, type TickflowFastifyOptions } from "./fastify.ts";
import { registerTickflowHttp } from "./http/mount.ts";
import { BODY_LIMIT_BYTES, trustProxyOf } from "./http/server.ts";

export interface TickflowHandlerOptions extends TickflowFastifyOptions {
  /** The path tickflow is mounted at, e.g. "/admin/jobs" (default: the root). */
  prefix?: string;
}

/** A Node `(req, res)` handler serving tickflow's routes under its prefix; `close()` when done. */
export interface TickflowHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  close(): Promise<void>;
}

/**
 * tickflow's HTTP routes as a plain Node request handler, for Express, Koa (`ctx.req, ctx.res`),
 * Hono's node adapter or `http.createServer` — the same routes and checks as `tickflow/fastify`,
 * on a Fastify instance of tickflow's own that never listens:
 *
 *     const handler = await createTickflowHandler({ tickflow, prefix: "/admin/jobs", auth: "app" });
 *     expressApp.use("/admin/jobs", requireAdmin, handler);       // Express
 *     http.createServer((req, res) => req.url?.startsWith("/admin/jobs") ? handler(req, res) : app(req, res));
 *
 * Express strips the mount path from `req.url` (keeping it in `req.originalUrl`); the handler
 * routes on the original URL, so the same prefix works mounted or not.
 */
export async function createTickflowHandler(options: TickflowHandlerOptions): Promise<TickflowHandler> {
  const resolved = resolveMountOptions(options, "own");
  const prefix = normalizePrefix(options.prefix);
  // tickflow's own Fastify instance sees the raw request: the proxies it trusts are http.trustedProxies.
  const app = Fastify({
    bodyLimit: BODY_LIMIT_BYTES,
    logger: false,
    trustProxy: trustProxyOf(resolved.config.trustedProxies),
  });
  await app.register(registerTickflowHttp, { ...resolved, prefix });
  await app.ready();
  const handler = ((req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => {
    if (typeof req.originalUrl === "string") req.url = req.originalUrl;
    app.routing(req, res);
  }) as TickflowHandler;
  handler.close = () => app.close();
  return handler;
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/") return "";
  return `/${prefix.replace(/^\/+|\/+$/g, "")}`;
}
