import { readFileSync } from "node:fs";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type CidrRule, matchesAny, parseCidrList } from "../core/cidr.ts";
import { FailureBackoff, LOGIN_BACKOFF } from "../core/failure-backoff.ts";
import { JOB_STATES, type JobState } from "../core/job-state.ts";
import { isValidName } from "../core/names.ts";
import { TickflowError } from "../errors.ts";
import { createTokenCheck } from "../http/auth.ts";
import type { HttpDeps } from "../http/server.ts";
import type { JobRunRow } from "../store/store.ts";
import { getFlowStatus, heartbeatMinutes, listFlowStatuses, queueSummaries, recentFailures } from "./data.ts";
import { type Html, html } from "./html.ts";
import { BASE, page, type Section } from "./layout.ts";
import { flowBody, flowPath, flowsBody } from "./pages/flows.ts";
import { jobBody, jobsBody } from "./pages/jobs.ts";
import { loginPage } from "./pages/login.ts";
import { monitorBody, monitorsBody } from "./pages/monitors.ts";
import { overviewBody } from "./pages/overview.ts";
import { scheduleBody, schedulePath, schedulesBody } from "./pages/schedules.ts";
import {
  csrfMatches,
  isSameOriginRequest,
  parseCookies,
  SESSION_COOKIE,
  type Session,
  SessionStore,
  safeNextPath,
  sessionCookie,
} from "./session.ts";

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
  /** Sessions (tests inject one with a clock); default a new in-memory store. */
  sessions?: SessionStore;
  /** Failed-login back-off (tests inject rules and a clock); default LOGIN_BACKOFF on Date.now. */
  loginBackoff?: FailureBackoff;
  now?: () => number;
}

/** The dashboard's one account: whoever holds an API token. The back-off is kept per account. */
const LOGIN_ACCOUNT = "api-token";

const PAGE_SIZE = 50;
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
const ID = /^\d{1,18}$/;

/** The stylesheet and script, read once from the package (src/dashboard/static; also found from dist/). */
function readStatic(name: string): string {
  const candidates = [
    new URL(`./static/${name}`, import.meta.url),
    new URL(`../../src/dashboard/static/${name}`, import.meta.url),
  ];
  for (const url of candidates) {
    try {
      return readFileSync(url, "utf8");
    } catch {}
  }
  throw new Error(`dashboard asset ${name} is missing from the package`);
}

/**
 * The web dashboard at /dashboard, on the HTTP service's Fastify app: server-rendered pages, one
 * stylesheet and one small script (live updates), no CDN. The app's allow-list, trusted proxies
 * and rate limit apply; the routes are `access: "open"` to the bearer-token check and do their own:
 * a session cookie from the login page (the API token, checked in constant time), a CSRF token in
 * every form and a same-origin check on every POST.
 */
export async function registerDashboard(
  app: FastifyInstance,
  deps: HttpDeps,
  options: DashboardOptions = {},
): Promise<void> {
  const { tickflow, heartbeat, config, logger } = deps;
  const sessions = options.sessions ?? new SessionStore();
  const loginBackoff = options.loginBackoff ?? new FailureBackoff(LOGIN_BACKOFF);
  const now = options.now ?? Date.now;
  const checkToken = createTokenCheck(config.tokens);
  const trusted: CidrRule[] = parseCidrList(config.trustedProxies, "trustedProxies");
  const css = readStatic("dashboard.css");
  const js = readStatic("dashboard.js");

  /** `https` when the client used TLS: directly, or per X-Forwarded-Proto from a trusted proxy. */
  const protocolOf = (request: FastifyRequest): "http" | "https" => {
    if ((request.socket as { encrypted?: boolean }).encrypted) return "https";
    const peer = request.socket.remoteAddress ?? "";
    const header = request.headers["x-forwarded-proto"];
    if (trusted.length === 0 || header === undefined || !matchesAny(peer, trusted)) return "http";
    const last = (Array.isArray(header) ? header.join(",") : header).split(",").at(-1)?.trim().toLowerCase();
    return last === "https" ? "https" : "http";
  };
  const cookieOf = (request: FastifyRequest) => parseCookies(request.headers.cookie).get(SESSION_COOKIE);
  const header = (request: FastifyRequest, name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const isLive = (request: FastifyRequest) => request.headers["x-tickflow-live"] === "1";

  await app.register(
    async (dash) => {
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

      const open = { config: { access: "open" as const } };
      const publicRoute = { config: { access: "open" as const, dashboardPublic: true } };

      // ── login, logout, assets ─────────────────────────────────────────────
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
        sessions.destroy(cookieOf(request));
        const { id } = sessions.create();
        logger.info({ ip: request.clientIp }, "dashboard: logged in");
        reply.header(
          "set-cookie",
          sessionCookie(id, {
            maxAgeSeconds: sessions.cookieMaxAgeSeconds,
            secure: protocolOf(request) === "https",
          }),
        );
        return reply.redirect(next, 303);
      });

      dash.post("/logout", open, async (request, reply) => {
        sessions.destroy(cookieOf(request));
        reply.header(
          "set-cookie",
          sessionCookie("", { maxAgeSeconds: 0, secure: protocolOf(request) === "https" }),
        );
        return reply.redirect(`${BASE}/login`, 303);
      });

      const asset = (type: string, body: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
        reply.type(type).header("cache-control", "private, max-age=3600").send(body);
      dash.get("/static/dashboard.css", publicRoute, asset("text/css; charset=utf-8", css));
      dash.get("/static/dashboard.js", open, asset("text/javascript; charset=utf-8", js));

      // ── pages ─────────────────────────────────────────────────────────────
      const render = (
        request: FastifyRequest,
        reply: FastifyReply,
        section: Section,
        title: string,
        body: Html,
        now: number,
      ) =>
        sendHtml(
          reply,
          200,
          page({ title, section, session: request.dashboardSession!, body, now, keepFlash: isLive(request) }),
        );

      dash.get("/", open, async (request, reply) => {
        const now = tickflow.now();
        const [status, minutes, monitors, queues, failures, schedules, rates] = await Promise.all([
          heartbeat?.enabled ? heartbeat.status() : null,
          heartbeat?.enabled ? heartbeatMinutes(tickflow, now) : null,
          tickflow.monitors.status(),
          queueSummaries(tickflow, now),
          recentFailures(tickflow, now),
          tickflow.scheduleReports({ ticks: 30 }),
          tickflow.scheduleRateSummaries(),
        ]);
        const hb =
          status && minutes ? { enabled: true as const, status, minutes } : { enabled: false as const };
        return render(
          request,
          reply,
          "overview",
          "Overview",
          overviewBody({ now, heartbeat: hb, monitors, queues, failures, schedules, rates }),
          now,
        );
      });

      dash.get("/flows", open, async (request, reply) => {
        const now = tickflow.now();
        return render(
          request,
          reply,
          "flows",
          "Flows",
          flowsBody(await listFlowStatuses(tickflow), now),
          now,
        );
      });

      dash.get("/flows/:name", open, async (request, reply) => {
        const name = nameParam(request);
        const flow = name ? await getFlowStatus(tickflow, name) : null;
        if (!name || !flow) return sendError(reply, 404, `No flow named ${name ?? "that"}.`);
        const before = cursorParam(request);
        const rows = await tickflow.flows.runs({
          flow: name,
          beforeId: before ?? undefined,
          limit: PAGE_SIZE + 1,
        });
        const runs = rows.slice(0, PAGE_SIZE);
        const nextCursor = rows.length > PAGE_SIZE ? runs.at(-1)!.id : null;
        const now = tickflow.now();
        const body = flowBody({ flow, runs, before, nextCursor, now, session: request.dashboardSession! });
        return render(request, reply, "flows", `Flow ${name}`, body, now);
      });

      dash.get("/schedules", open, async (request, reply) => {
        const now = tickflow.now();
        const items = await tickflow.scheduleReports({ ticks: 24 });
        return render(
          request,
          reply,
          "schedules",
          "Schedules",
          schedulesBody(items, now, request.dashboardSession!),
          now,
        );
      });

      dash.get("/schedules/:key", open, async (request, reply) => {
        const key = nameParam(request, "key");
        const schedule = key ? await tickflow.store.getSchedule(key) : null;
        if (!key || !schedule) return sendError(reply, 404, `No schedule named ${key ?? "that"}.`);
        const beforeText = (request.query as Record<string, unknown>).before;
        const before =
          typeof beforeText === "string" && !Number.isNaN(Date.parse(beforeText))
            ? Date.parse(beforeText)
            : null;
        const [[report], page, rates] = await Promise.all([
          tickflow.scheduleReports({ scheduleId: key, ticks: 10 }),
          tickflow.tickPage(key, { limit: 100, before: before ?? undefined }),
          tickflow.scheduleRates([key]),
        ]);
        if (!report) return sendError(reply, 404, `No schedule named ${key}.`);
        const next = schedule.paused ? [] : (await tickflow.previewRuns(key, 5)).map((d) => d.getTime());
        const now = tickflow.now();
        const body = scheduleBody({
          report,
          ticks: page.ticks,
          nextBefore: page.nextBefore,
          before,
          rates: rates.get(key)!,
          next,
          now,
          session: request.dashboardSession!,
        });
        return render(request, reply, "schedules", `Schedule ${key}`, body, now);
      });

      dash.get("/jobs", open, async (request, reply) => {
        const query = request.query as Record<string, unknown>;
        const queue = typeof query.queue === "string" && isValidName(query.queue) ? query.queue : undefined;
        const state =
          typeof query.state === "string" && (JOB_STATES as readonly string[]).includes(query.state)
            ? (query.state as JobState)
            : undefined;
        const before = cursorParam(request);
        const now = tickflow.now();
        const [queues, rows] = await Promise.all([
          queueSummaries(tickflow, now),
          tickflow.store.listJobs({
            queue,
            states: state ? [state] : undefined,
            beforeId: before ?? undefined,
            limit: PAGE_SIZE + 1,
          }),
        ]);
        const jobs = rows.slice(0, PAGE_SIZE);
        const nextCursor = rows.length > PAGE_SIZE ? jobs.at(-1)!.id : null;
        return render(
          request,
          reply,
          "jobs",
          "Jobs",
          jobsBody({ queues, queue, state, jobs, before, nextCursor, now }),
          now,
        );
      });

      dash.get("/jobs/:id", open, async (request, reply) => {
        const id = (request.params as { id: string }).id;
        const job = ID.test(id) ? await tickflow.getJob(id) : null;
        if (!job) return sendError(reply, 404, `No job #${id}.`);
        const runs = await tickflow.listJobRuns(id);
        const now = tickflow.now();
        return render(
          request,
          reply,
          "jobs",
          `Job #${id}`,
          jobBody(job, runs, now, request.dashboardSession!),
          now,
        );
      });

      dash.get("/monitors", open, async (request, reply) => {
        const now = tickflow.now();
        return render(
          request,
          reply,
          "monitors",
          "Monitors",
          monitorsBody(await tickflow.monitors.status(), now),
          now,
        );
      });

      dash.get("/monitors/:name", open, async (request, reply) => {
        const name = nameParam(request);
        const monitor = name ? await tickflow.monitors.get(name) : null;
        if (!name || !monitor) return sendError(reply, 404, `No monitor named ${name ?? "that"}.`);
        const transitions = await tickflow.monitors.transitions(name, { limit: 100 });
        const jobs = await tickflow.store.listJobs({ type: monitor.jobType, limit: 30 });
        const checks: JobRunRow[] = (await Promise.all(jobs.map((j) => tickflow.listJobRuns(j.id))))
          .flat()
          .sort((a, b) => b.startedAt - a.startedAt)
          .slice(0, 30);
        const now = tickflow.now();
        return render(
          request,
          reply,
          "monitors",
          `Monitor ${name}`,
          monitorBody(monitor, transitions, checks, now),
          now,
        );
      });

      // ── actions: POST, same-origin, CSRF-checked; answer with a redirect and a flash message ──
      const action = (
        path: string,
        run: (params: Record<string, string>) => Promise<{ to: string; text: string }>,
        back: (params: Record<string, string>) => string,
      ) =>
        dash.post(path, open, async (request, reply) => {
          const params = request.params as Record<string, string>;
          const session = request.dashboardSession!;
          try {
            const { to, text } = await run(params);
            session.flash = { kind: "ok", text };
            logger.info(
              { ip: request.clientIp, action: request.routeOptions.url, params },
              `dashboard: ${text}`,
            );
            return reply.redirect(to, 303);
          } catch (error) {
            if (!(error instanceof TickflowError)) throw error;
            session.flash = { kind: "error", text: error.message };
            return reply.redirect(back(params), 303);
          }
        });
      const flowName = (p: Record<string, string>) => {
        if (!isValidName(p.name ?? "")) throw new TickflowError("NOT_FOUND", "no such flow");
        return p.name!;
      };
      const scheduleKey = (p: Record<string, string>) => {
        if (!isValidName(p.key ?? "")) throw new TickflowError("NOT_FOUND", "no such schedule");
        return p.key!;
      };
      const jobId = (p: Record<string, string>) => {
        if (!ID.test(p.id ?? "")) throw new TickflowError("NOT_FOUND", "no such job");
        return p.id!;
      };
      const toFlow = (p: Record<string, string>) =>
        isValidName(p.name ?? "") ? flowPath(p.name!) : `${BASE}/flows`;
      const toSchedule = (p: Record<string, string>) =>
        isValidName(p.key ?? "") ? schedulePath(p.key!) : `${BASE}/schedules`;
      const toJob = (p: Record<string, string>) =>
        ID.test(p.id ?? "") ? `${BASE}/jobs/${p.id}` : `${BASE}/jobs`;

      action(
        "/flows/:name/trigger",
        async (p) => {
          const answer = await tickflow.flows.trigger(flowName(p), { source: "manual" });
          return { to: toFlow(p), text: `Triggered ${answer.flow}: run #${answer.runId} is queued.` };
        },
        toFlow,
      );
      action(
        "/flows/:name/enable",
        async (p) => {
          await tickflow.flows.enable(flowName(p));
          return { to: toFlow(p), text: `Flow ${p.name} is enabled.` };
        },
        toFlow,
      );
      action(
        "/flows/:name/disable",
        async (p) => {
          await tickflow.flows.disable(flowName(p));
          return {
            to: toFlow(p),
            text: `Flow ${p.name} is disabled: triggers are refused and its schedule is paused.`,
          };
        },
        toFlow,
      );
      action(
        "/schedules/:key/pause",
        async (p) => {
          await tickflow.pauseSchedule(scheduleKey(p));
          return {
            to: toSchedule(p),
            text: `Schedule ${p.key} is paused: its ticks are recorded as skipped.`,
          };
        },
        toSchedule,
      );
      action(
        "/schedules/:key/resume",
        async (p) => {
          await tickflow.resumeSchedule(scheduleKey(p));
          return { to: toSchedule(p), text: `Schedule ${p.key} is running again.` };
        },
        toSchedule,
      );
      action(
        "/jobs/:id/retry",
        async (p) => {
          const job = await tickflow.retryJob(jobId(p));
          // The store leaves a job it cannot retry (running, succeeded) as it is: say so.
          if (job.state !== "available") {
            throw new TickflowError(
              "INVALID_TRANSITION",
              `Job #${job.id} is ${job.state}: nothing to retry.`,
            );
          }
          return { to: toJob(p), text: `Job #${job.id} will run again now.` };
        },
        toJob,
      );
      action(
        "/jobs/:id/cancel",
        async (p) => {
          const job = await tickflow.cancelJob(jobId(p));
          if (job.state !== "cancelled") {
            throw new TickflowError(
              "INVALID_TRANSITION",
              `Job #${job.id} is ${job.state}: nothing to cancel.`,
            );
          }
          return { to: toJob(p), text: `Job #${job.id} is cancelled.` };
        },
        toJob,
      );

      // Unknown dashboard pages: the login page without a session (checked above), a 404 page with one.
      dash.get("/*", open, async (_request, reply) =>
        sendError(reply, 404, "There is no such dashboard page."),
      );
    },
    { prefix: BASE },
  );
}

function nameParam(request: FastifyRequest, key = "name"): string | null {
  const value = (request.params as Record<string, string | undefined>)[key];
  return value !== undefined && isValidName(value) ? value : null;
}

function cursorParam(request: FastifyRequest): string | null {
  const before = (request.query as Record<string, unknown>).before;
  return typeof before === "string" && ID.test(before) ? before : null;
}

function sendHtml(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").send(body.value);
}

function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendHtml(
    reply,
    status,
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${status} · tickflow</title><link rel="icon" href="data:,"><link rel="stylesheet" href="${BASE}/static/dashboard.css"></head>
<body class="login-body"><main id="main" class="login"><h1>${status === 403 ? "Refused" : status === 404 ? "Not found" : "Error"}</h1>
<p class="flash flash-error" role="alert">${message}</p><p><a href="${BASE}">Back to the dashboard</a></p></main></body></html>`,
  );
}
