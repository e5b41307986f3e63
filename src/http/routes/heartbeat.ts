import type { FastifyInstance } from "fastify";
import { flowDueDecision, memoizedNextFireAt } from "../../core/flow-due.ts";
import type { HttpDeps } from "../deps.ts";

export interface HeartbeatAnswer {
  triggered: { flow: string; runId: string }[];
  skipped: { flow: string; reason: "not_due" | "already_running" | "disabled" }[];
}

/**
 * POST /heartbeat (seed 004): for deployments driven by an external cron. Triggers every enabled
 * flow that is due and answers 202 with what it triggered and skipped. Calls are serialized in
 * this process, and the flow's one-active-run constraint refuses a second trigger from any other
 * process, so concurrent calls never double-trigger a flow.
 */
export function registerHeartbeatRoute(app: FastifyInstance, { tickflow }: HttpDeps): void {
  let queue: Promise<unknown> = Promise.resolve();
  const nextAfter = memoizedNextFireAt();
  app.post("/heartbeat", async (_request, reply) => {
    const answer = queue.then(() => triggerDueFlows(tickflow, nextAfter));
    queue = answer.catch(() => undefined);
    reply.code(202);
    return answer;
  });
}

async function triggerDueFlows(
  tickflow: HttpDeps["tickflow"],
  nextAfter: ReturnType<typeof memoizedNextFireAt>,
): Promise<HeartbeatAnswer> {
  const answer: HeartbeatAnswer = { triggered: [], skipped: [] };
  const now = tickflow.now();
  // The stored rows are all the due check needs (flows.list() adds run statistics: too slow here).
  for (const flow of await tickflow.queries.listFlows()) {
    if (flow.removedAt !== null) continue;
    const decision = flowDueDecision(flow, now, nextAfter);
    if (!decision.due) {
      answer.skipped.push({ flow: flow.name, reason: decision.reason });
      continue;
    }
    const result = await tickflow.flows.tryTrigger(flow.name, { source: "heartbeat" });
    if (result.status === "enqueued") answer.triggered.push({ flow: flow.name, runId: result.runId });
    else answer.skipped.push({ flow: flow.name, reason: result.status });
  }
  return answer;
}
