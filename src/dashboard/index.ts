import type { FastifyInstance } from "fastify";
import { FailureBackoff, LOGIN_BACKOFF } from "../core/failure-backoff.ts";
import type { HttpDeps } from "../http/deps.ts";
import { BASE } from "./layout.ts";
import { mountPath } from "./mount-path.ts";
import { registerAlertRoutes } from "./routes/alerts.ts";
import { type DashboardContext, open, sendError } from "./routes/context.ts";
import { registerFlowRoutes } from "./routes/flows.ts";
import { registerJobRoutes } from "./routes/jobs.ts";
import { registerLimitRoutes } from "./routes/limits.ts";
import { registerLoginRoutes } from "./routes/login.ts";
import { registerMonitorRoutes } from "./routes/monitors.ts";
import { registerOverviewRoutes } from "./routes/overview.ts";
import { registerScheduleRoutes } from "./routes/schedules.ts";
import { registerSecurity } from "./security.ts";
import type { Session } from "./session.ts";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Dashboard routes reachable without a session (the login page and its stylesheet). */
    dashboardPublic?: boolean;
  }
  interface FastifyRequest {
    /** The dashboard session of this request (null: none or expired). */
    dashboardSession: Session | null;
  }
}

export interface DashboardOptions {
  /** Where the dashboard lives in its Fastify scope (default /dashboard); the scope's prefix goes before it. */
  path?: string;
  /** Failed-login back-off (tests inject rules and a clock); default LOGIN_BACKOFF on Date.now. */
  loginBackoff?: FailureBackoff;
  now?: () => number;
}

/**
 * The web dashboard at /dashboard (or `path`) of its Fastify scope — `tickflow start`'s app, or
 * wherever an application mounts tickflow: server-rendered pages, one stylesheet and one small
 * script (live updates), no CDN. The scope's allow-list, trusted proxies and rate limit apply; the
 * routes are `access: "open"` to the bearer-token check and do their own: a session cookie (from
 * the login page and the API token, or, with `auth: "app"`, for whoever the application let in),
 * a CSRF token in every form and a same-origin check on every POST. Sessions are stored in the
 * database (src/sessions.ts).
 */
export async function registerDashboard(
  app: FastifyInstance,
  deps: HttpDeps,
  options: DashboardOptions = {},
): Promise<void> {
  const path = options.path ?? BASE;
  const ctx: DashboardContext = {
    ...deps,
    sessions: deps.tickflow.sessions,
    loginBackoff: options.loginBackoff ?? new FailureBackoff(LOGIN_BACKOFF),
    now: options.now ?? Date.now,
    mount: mountPath(`${app.prefix}${path}`),
    appDecides: deps.auth === "app",
  };
  await app.register(
    async (dash) => {
      await registerSecurity(dash, ctx);
      registerLoginRoutes(dash, ctx);
      registerOverviewRoutes(dash, ctx);
      registerFlowRoutes(dash, ctx);
      registerScheduleRoutes(dash, ctx);
      registerJobRoutes(dash, ctx);
      registerLimitRoutes(dash, ctx);
      registerMonitorRoutes(dash, ctx);
      registerAlertRoutes(dash, ctx);
      // Unknown dashboard pages: the login page without a session (checked first), a 404 page with one.
      dash.get("/*", open, async (_request, reply) =>
        sendError(reply, 404, "There is no such dashboard page."),
      );
    },
    { prefix: path },
  );
}
