import type { ScheduleDefinitionRow, ScheduleRow } from "../ports/rows.ts";

/**
 * How a stored code schedule must change to match its definition (syncSchedules, every adapter):
 * null when it already matches; otherwise the next fire time to store, which only a changed
 * trigger resets (an edited payload or policy keeps the schedule's place in time).
 */
export function scheduleUpdate(
  before: ScheduleRow,
  def: ScheduleDefinitionRow,
): { nextFireAt: number | null } | null {
  const triggerChanged = JSON.stringify(before.trigger) !== JSON.stringify(def.trigger);
  const changed =
    triggerChanged ||
    before.jobType !== def.jobType ||
    before.payload !== def.payload ||
    before.misfire !== def.misfire ||
    before.graceMs !== def.graceMs ||
    before.overlap !== def.overlap ||
    JSON.stringify(before.jobOptions) !== JSON.stringify(def.jobOptions);
  // A broken schedule is set right by syncing its definition: this process could plan it.
  if (before.broken !== null) return { nextFireAt: def.initialNextFireAt };
  if (!changed) return null;
  return { nextFireAt: triggerChanged ? def.initialNextFireAt : before.nextFireAt };
}

/** A definition's stored columns, in the order both adapters list them: id, job_type … job_options. */
export function scheduleDefinitionValues(def: ScheduleDefinitionRow): unknown[] {
  return [
    def.id,
    def.jobType,
    def.payload,
    JSON.stringify(def.trigger),
    def.misfire,
    def.graceMs,
    def.overlap,
    JSON.stringify(def.jobOptions),
  ];
}
