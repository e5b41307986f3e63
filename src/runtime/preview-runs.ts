import { previewFireTimes } from "../core/triggers.ts";
import { NotFoundError } from "../errors.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";

/** The next `count` nominal fire times of a stored schedule from `now` (tickflow.previewRuns). */
export async function previewStoredRuns(
  queries: StoreQueries,
  scheduleId: string,
  now: number,
  count: number,
): Promise<Date[]> {
  const schedule = await queries.getSchedule(scheduleId);
  if (!schedule) throw new NotFoundError(`schedule "${scheduleId}"`);
  // A broken schedule never fires; one not yet found broken may fail to plan here first.
  if (schedule.broken !== null || schedule.trigger === null) return [];
  try {
    return previewFireTimes(schedule.trigger, now, count).map((t) => new Date(t));
  } catch {
    return [];
  }
}
