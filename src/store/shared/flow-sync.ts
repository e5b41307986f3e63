import type { FlowDefinitionRow, FlowRow } from "../ports/rows.ts";

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

/** A definition's stored columns, in the order both adapters list them: name, schedule … next_run_at. */
export function flowDefinitionValues(def: FlowDefinitionRow): unknown[] {
  return [
    def.name,
    def.schedule === null ? null : JSON.stringify(def.schedule),
    def.scheduleId,
    def.queue,
    def.retries,
    def.timeoutMs,
    def.backoff,
    def.nextRunAt,
  ];
}
