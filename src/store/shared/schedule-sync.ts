import { ScheduleConflictError } from "../../errors.ts";
import type { ScheduleDefinitionRow, ScheduleRow } from "../ports/rows.ts";

/**
 * What reconciling code schedules would do (syncSchedules applies it, `schedules diff` prints it):
 * `stored` are the stored code schedules, `runtimeKeys` the keys among `defs` stored as runtime
 * schedules — those are conflicts, never taken over (a key cannot be both).
 */
export interface SyncPlan {
  create: ScheduleDefinitionRow[];
  update: { def: ScheduleDefinitionRow; before: ScheduleRow; nextFireAt: number | null; changed: string[] }[];
  remove: ScheduleRow[];
  conflicts: string[];
}

export function planScheduleSync(
  stored: readonly ScheduleRow[],
  runtimeKeys: ReadonlySet<string>,
  defs: readonly ScheduleDefinitionRow[],
): SyncPlan {
  const plan: SyncPlan = { create: [], update: [], remove: [], conflicts: [] };
  const existing = new Map(stored.map((row) => [row.id, row]));
  for (const def of defs) {
    if (runtimeKeys.has(def.id)) {
      plan.conflicts.push(def.id);
      continue;
    }
    const before = existing.get(def.id);
    existing.delete(def.id);
    if (!before) {
      plan.create.push(def);
      continue;
    }
    const update = scheduleUpdate(before, def);
    if (update) plan.update.push({ def, before, ...update });
  }
  plan.remove = [...existing.values()];
  return plan;
}

/** The stored fields a definition sets, by the name `diff` shows when they differ. */
function changedFields(before: ScheduleRow, def: ScheduleDefinitionRow): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const fields: [string, unknown, unknown][] = [
    ["trigger", before.trigger, def.trigger],
    ["job", before.jobType, def.jobType],
    ["payload", before.payload, def.payload],
    ["misfire", before.misfire, def.misfire],
    ["grace", before.graceMs, def.graceMs],
    ["overlap", before.overlap, def.overlap],
    ["job options", before.jobOptions, def.jobOptions],
    ["tolerance", before.toleranceMs, def.toleranceMs ?? null],
    ["owner", before.owner, def.owner ?? null],
    ["tenant", before.tenant, def.tenant ?? null],
    ["labels", before.labels, def.labels ?? {}],
  ];
  return fields.filter(([, a, b]) => !same(a, b)).map(([name]) => name);
}

/**
 * How a stored schedule must change to match its definition (code sync and runtime upsert, every
 * adapter): null when it already matches; otherwise the next fire time to store, which only a
 * changed trigger resets (an edited payload or policy keeps the schedule's place in time), and
 * which fields changed.
 *
 * A changed trigger keeps a tick that is already due (nextFireAt ≤ now, not yet decided): it is
 * decided as the schedule's next one, then the new trigger's times follow — so a change never
 * loses a tick owed before it. A tick decided already keeps its row, so the new trigger landing
 * on the same nominal time cannot fire it twice (the tick key).
 */
export function scheduleUpdate(
  before: ScheduleRow,
  def: ScheduleDefinitionRow,
  now?: number,
): { nextFireAt: number | null; changed: string[] } | null {
  const changed = changedFields(before, def);
  // A broken schedule is set right by writing its definition: this process could plan it.
  if (before.broken !== null) return { nextFireAt: def.initialNextFireAt, changed: [...changed, "broken"] };
  if (changed.length === 0) return null;
  if (!changed.includes("trigger")) return { nextFireAt: before.nextFireAt, changed };
  const due = now !== undefined && before.nextFireAt !== null && before.nextFireAt <= now;
  return { nextFireAt: due ? before.nextFireAt : def.initialNextFireAt, changed };
}

/**
 * A definition's stored columns, in the order both adapters list them: id, job_type … job_options,
 * tolerance_ms, owner, tenant, labels.
 */
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
    def.toleranceMs ?? null,
    def.owner ?? null,
    def.tenant ?? null,
    JSON.stringify(def.labels ?? {}),
  ];
}

/** The one error for a runtime change aimed at a code schedule. */
export function codeScheduleConflict(id: string, what: "changed" | "removed"): ScheduleConflictError {
  return new ScheduleConflictError(
    `schedule "${id}" is declared in code (defineSchedule): it can only be ${what} there, not at run time`,
  );
}
