import type { FastifyInstance } from "fastify";
import { TickflowError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { open } from "./context.ts";

type Params = Record<string, string>;

/**
 * A dashboard action: a POST (same-origin and CSRF-checked by security.ts) that runs `run` and
 * answers with a redirect and a flash message; a TickflowError becomes an error flash on `back`.
 */
export function registerAction(
  dash: FastifyInstance,
  logger: Logger,
  path: string,
  run: (params: Params, form: Params) => Promise<{ to: string; text: string }>,
  back: (params: Params) => string,
): void {
  dash.post(path, open, async (request, reply) => {
    const params = request.params as Params;
    const session = request.dashboardSession!;
    try {
      const { to, text } = await run(params, (request.body ?? {}) as Params);
      session.flash = { kind: "ok", text };
      logger.info({ ip: request.clientIp, action: request.routeOptions.url, params }, `dashboard: ${text}`);
      return reply.redirect(to, 303);
    } catch (error) {
      if (!(error instanceof TickflowError)) throw error;
      session.flash = { kind: "error", text: error.message };
      return reply.redirect(back(params), 303);
    }
  });
}

/** A route parameter that must be valid, else the action answers "no such …" (404 flash). */
export function required(p: Params, key: string, valid: (value: string) => boolean, what: string): string {
  const value = p[key] ?? "";
  if (!valid(value)) throw new TickflowError("NOT_FOUND", `no such ${what}`);
  return value;
}
