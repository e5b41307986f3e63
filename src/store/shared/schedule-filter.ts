import type { ScheduleFilter } from "../ports/rows.ts";

/** A listing filter as both adapters' statements take it: source, owner, tenant, labels JSON (null: any). */
export function scheduleFilterValues(filter: ScheduleFilter): (string | null)[] {
  const labels =
    filter.labels && Object.keys(filter.labels).length > 0 ? JSON.stringify(filter.labels) : null;
  return [filter.source ?? null, filter.owner ?? null, filter.tenant ?? null, labels];
}
