import type { FastifyInstance } from "fastify";
import { type FlowDueReason, flowDueDecision, memoizedNextFireAt } from "../../core/flow-due.ts";
import type { HttpDeps } from "../deps.ts";

/** Why a flow was not triggered: see FlowDueReason, plus what the trigger itself refused. */
export type HeartbeatSkipReason = FlowDueReason | "already_running" | "period_taken";

export interface HeartbeatAnswer {
  /** `period`: the nominal fire time (ISO) this run is for — the key both drivers claim. */
  triggered: { flow: string; runId: string; period: string }[];
  skipped: { flow: string; reason: HeartbeatSkipReason }[];
}

/**
 * POST /heartbeat (seed 004, spec §7): for deployments driven by an external cron. Evaluates every
 * enabled flow's schedule now and triggers those due, each for its period (the latest nominal fire
 * time): the run claims the same (flow, period) tick the internal scheduler claims, so a period
 * runs at most once whichever driver — and whichever process — gets there first. Calls are
 * serialized in this process; the store's tick key settles races between processes.
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
    const result = await tickflow.flows.tryTrigger(flow.name, {
      source: "heartbeat",
      period: decision.period,
    });
    if (result.status === "enqueued") {
      answer.triggered.push({
        flow: flow.name,
        runId: result.runId,
        period: new Date(decision.period).toISOString(),
      });
    } else answer.skipped.push({ flow: flow.name, reason: result.status });
  }
  return answer;
}
