import type { FlowDefinitionRow, FlowRow } from "./flow-store.ts";

/**
 * Whether a stored flow must be rewritten to match its definition (syncFlows, every adapter):
 * a changed schedule, queue or retry policy, or a flow that had been removed from the code and is
 * defined again.
 */
export function flowNeedsUpdate(before: FlowRow, def: FlowDefinitionRow): boolean {
  return (
    before.removedAt !== null ||
    JSON.stringify(before.schedule) !== JSON.stringify(def.schedule) ||
    before.scheduleId !== def.scheduleId ||
    before.queue !== def.queue ||
    before.retries !== def.retries ||
    before.timeoutMs !== def.timeoutMs ||
    before.backoff !== def.backoff
  );
}
