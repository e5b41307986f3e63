import { previewFireTimes } from "../core/triggers.ts";
import { NotFoundError, ScheduleConflictError } from "../errors.ts";
import type { TickflowEvents } from "../events.ts";
import type { ScheduleDeployRow, ScheduleFilter, ScheduleRow, TickRow } from "../store/ports/rows.ts";
import type { UpsertResult } from "../store/ports/schedule-store.ts";
import type { Store } from "../store/store.ts";
import type { JobRegistry } from "./registry.ts";
import { defineSchedule, type ScheduleOptions, toScheduleRow } from "./schedules.ts";

/** A stored schedule with its last recorded tick. */
export interface ScheduleStatus extends ScheduleRow {
  lastTick: TickRow | null;
}

/**
 * `tickflow.schedules`: callable as before (every stored schedule with its last tick), and the
 * runtime schedule verbs on it. Runtime schedules (`source: runtime`) are never touched by the
 * reconciliation of code schedules; a key declared in code cannot be upserted or removed here.
 */
export interface SchedulesApi {
  (filter?: ScheduleFilter): Promise<ScheduleStatus[]>;
  /** Creates or changes a runtime schedule; validated exactly as defineSchedule (nothing written on error). */
  upsert(options: ScheduleOptions): Promise<UpsertResult>;
  get(key: string): Promise<ScheduleStatus | null>;
  list(filter?: ScheduleFilter): Promise<ScheduleStatus[]>;
  pause(key: string): Promise<ScheduleRow>;
  resume(key: string): Promise<ScheduleRow>;
  /** Removes a runtime schedule (its tick history stays). */
  remove(key: string): Promise<void>;
  /** The code versions the store has seen (rolling deploys), newest first. */
  deploys(): Promise<ScheduleDeployRow[]>;
  /** The next `count` nominal fire times of a stored schedule, from now. */
  preview(key: string, count?: number): Promise<Date[]>;
}

export interface ScheduleApiDeps {
  store: Store;
  registry: JobRegistry;
  events: TickflowEvents;
  now(): number;
  /** Keys this process declares in code (refused here even before the first sync stores them). */
  isCodeSchedule(key: string): boolean;
  /** Wakes this process's scheduler (a schedule changed). */
  wake(): void;
}

export function createSchedulesApi(deps: ScheduleApiDeps): SchedulesApi {
  const { store, events } = deps;
  const withTicks = async (rows: ScheduleRow[]): Promise<ScheduleStatus[]> => {
    const last = await store.queries.latestTicks(
      rows.map((r) => r.id),
      1,
    );
    return rows.map((row) => ({ ...row, lastTick: last.get(row.id)?.[0] ?? null }));
  };
  const list = async (filter?: ScheduleFilter) => withTicks(await store.queries.listSchedules(filter));
  const api: SchedulesApi = Object.assign(list, {
    async upsert(options: ScheduleOptions): Promise<UpsertResult> {
      const definition = defineSchedule(options);
      if (deps.isCodeSchedule(definition.key)) {
        throw new ScheduleConflictError(
          `schedule "${definition.key}" is declared in code (defineSchedule): it can only be changed there, not at run time`,
        );
      }
      const now = deps.now();
      const result = await store.schedules.upsertSchedule(toScheduleRow(definition, deps.registry, now), now);
      if (result.status !== "unchanged") {
        const change = result.status;
        events.emit("schedule:change", { key: definition.key, change, fields: result.changed });
        deps.wake();
      }
      return result;
    },
    async get(key: string) {
      const row = await store.queries.getSchedule(key);
      return row ? ((await withTicks([row]))[0] ?? null) : null;
    },
    list,
    pause: (key: string) => store.schedules.setSchedulePaused(key, true, deps.now()),
    async resume(key: string) {
      const row = await store.schedules.setSchedulePaused(key, false, deps.now());
      deps.wake();
      return row;
    },
    async remove(key: string) {
      await store.schedules.removeSchedule(key);
      events.emit("schedule:change", { key, change: "removed", fields: [] });
    },
    deploys: () => store.queries.listScheduleDeploys(),
    async preview(key: string, count = 5) {
      const schedule = await store.queries.getSchedule(key);
      if (!schedule) throw new NotFoundError(`schedule "${key}"`);
      // A broken schedule never fires; one not yet found broken may fail to plan here first.
      if (schedule.broken !== null || schedule.trigger === null) return [];
      try {
        return previewFireTimes(schedule.trigger, deps.now(), count).map((t) => new Date(t));
      } catch {
        return [];
      }
    },
  });
  return api;
}
