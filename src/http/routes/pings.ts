import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { PING_BODY_LIMIT_BYTES } from "../../checks/checks.ts";
import type { PingKind } from "../../core/check-state.ts";
import type { HttpDeps } from "../deps.ts";
import { errorBody } from "../errors.ts";

/** Exit codes a process can report (0–255); anything else is not a ping path. */
const EXIT_CODE = /^\d{1,3}$/;

/**
 * The check-in endpoints (spec §12), Healthchecks-style, GET or POST, open (the token is the key):
 * `/ping/:token` success, `/ping/:token/start`, `/ping/:token/fail`, `/ping/:token/:exitCode`.
 * The body (≤ 10 KB, 413 above; any content type) is kept as the ping's log. A token no check has
 * gets the same 404 as a path that does not exist, so nobody learns which checks exist. Rate limited
 * per client by the server's limiter; the logger never sees the token (redact-url hides ping paths).
 */
export async function registerPingRoutes(app: FastifyInstance, { tickflow }: HttpDeps): Promise<void> {
  await app.register(async (scope) => {
    // Any content type, kept as text: curl's default form type, text/plain, JSON, a log file.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "*",
      { parseAs: "string", bodyLimit: PING_BODY_LIMIT_BYTES },
      (_req, body, done) => done(null, body),
    );
    const handle = (kind: PingKind | "by-path") => async (request: FastifyRequest, reply: FastifyReply) => {
      const params = request.params as { token: string; what?: string };
      let pingKind: PingKind = kind === "by-path" ? "exit" : kind;
      let exitCode: number | null = null;
      if (kind === "by-path") {
        if (params.what === "start") pingKind = "start";
        else if (params.what === "fail") pingKind = "fail";
        else if (params.what !== undefined && EXIT_CODE.test(params.what) && Number(params.what) <= 255) {
          exitCode = Number(params.what);
        } else return notFound(reply);
      }
      const body = typeof request.body === "string" ? request.body : "";
      const check = await tickflow.checks.pingByToken(params.token, pingKind, {
        exitCode,
        body,
        remote: request.clientIp,
      });
      if (!check) return notFound(reply);
      return reply.header("cache-control", "no-store").send({ ok: true, state: check.state });
    };
    const options = { config: { access: "open" as const }, bodyLimit: PING_BODY_LIMIT_BYTES };
    for (const method of ["GET", "POST"] as const) {
      scope.route({ method, url: "/ping/:token", ...options, handler: handle("success") });
      scope.route({ method, url: "/ping/:token/:what", ...options, handler: handle("by-path") });
    }
  });
}

/** The same answer as an unknown route: nothing says whether the token belongs to a check. */
function notFound(reply: FastifyReply) {
  return reply.code(404).send(errorBody("NOT_FOUND", "not found"));
}
