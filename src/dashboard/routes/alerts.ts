import type { FastifyInstance } from "fastify";
import { BASE } from "../layout.ts";
import { alertsBody } from "../pages/alerts.ts";
import { registerAction, required } from "./actions.ts";
import { type DashboardContext, open, render } from "./context.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const toAlerts = () => `${BASE}/alerts`;

/** The alerts page (incidents, silences, check-ins, rules, channels) and the silence actions. */
export function registerAlertRoutes(dash: FastifyInstance, { tickflow, logger }: DashboardContext): void {
  dash.get("/alerts", open, async (request, reply) => {
    const now = tickflow.now();
    const [incidents, silences, checks] = await Promise.all([
      tickflow.alerts.incidents({ limit: 100 }),
      tickflow.alerts.silences(),
      tickflow.checks.status(),
    ]);
    const rules = tickflow.alerts.list();
    const channels = [...tickflow.alerts.channels.values()].map((c) => ({
      name: c.name,
      kind: c.kind,
      target: c.target,
    }));
    const body = alertsBody(
      { incidents, silences: silences.slice(0, 50), checks, rules, channels },
      request.dashboardSession!,
      now,
    );
    return render(request, reply, "alerts", "Alerts", body, now);
  });
  registerAction(
    dash,
    logger,
    "/alerts/silences",
    async (_p, form) => {
      const silence = await tickflow.alerts.silence({
        rule: form.rule || null,
        subject: form.subject || null,
        for: form.for,
        reason: form.reason ?? "",
      });
      return {
        to: toAlerts(),
        text: `Silenced ${silence.rule ?? "every rule"} on ${silence.subject ?? "every subject"}.`,
      };
    },
    toAlerts,
  );
  registerAction(
    dash,
    logger,
    "/alerts/silences/:id/end",
    async (p) => {
      await tickflow.alerts.endSilence(required(p, "id", (v) => UUID.test(v), "silence"));
      return { to: toAlerts(), text: "The silence ended." };
    },
    toAlerts,
  );
}
