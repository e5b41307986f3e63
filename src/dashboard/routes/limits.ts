import type { FastifyInstance } from "fastify";
import { isValidName } from "../../core/names.ts";
import { BASE } from "../layout.ts";
import { limitsBody } from "../pages/limits.ts";
import { registerAction, required } from "./actions.ts";
import { type DashboardContext, open, render } from "./context.ts";

/** The limits page and the per-type enable / disable actions. */
export function registerLimitRoutes(dash: FastifyInstance, { tickflow, logger }: DashboardContext): void {
  dash.get("/limits", open, async (request, reply) => {
    const [limits, disabled] = await Promise.all([tickflow.limits.usage(), tickflow.limits.disabledTypes()]);
    const now = tickflow.now();
    const session = request.dashboardSession!;
    const body = limitsBody({ limits, disabled, types: tickflow.registry.names(), session, now });
    return render(request, reply, "limits", "Limits", body, now);
  });

  const back = () => `${BASE}/limits`;
  for (const action of ["enable", "disable"] as const) {
    registerAction(
      dash,
      logger,
      `/types/:type/${action}`,
      async (p) => {
        const type = required(p, "type", isValidName, "job type");
        if (action === "disable") await tickflow.limits.disableType(type);
        else await tickflow.limits.enableType(type);
        return { to: back(), text: `Job type ${type} is ${action}d.` };
      },
      back,
    );
  }
}
