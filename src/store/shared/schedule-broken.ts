import type { TickPlan } from "../../core/misfire.ts";
import type { ScheduleRow } from "../ports/rows.ts";
import type { FireRequest } from "../ports/schedule-store.ts";
import { MAX_ERROR_MESSAGE_CHARS, storableText } from "./storable-text.ts";
import { timeProblem } from "./store-values.ts";

/**
 * One schedule that cannot be read or planned must not stop the others (issue 19: a stored
 * trigger `garbage`, a cron `61 * * * *` or a zone `Mars/Olympus` threw inside the one fire
 * transaction and stayed the earliest due: nothing fired). Both adapters ask this for each due
 * schedule, before writing anything for it: a plan, or why the schedule is set aside as broken.
 */
export function planOrBreak(
  schedule: ScheduleRow,
  previousRunUnfinished: boolean,
  request: FireRequest,
): { plan: TickPlan } | { broken: string } {
  if (schedule.broken !== null) return { broken: schedule.broken };
  let plan: TickPlan;
  try {
    plan = request.plan(schedule, previousRunUnfinished);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { broken: storableText(`planning the next fire failed: ${message}`, MAX_ERROR_MESSAGE_CHARS) };
  }
  const times = [
    ...plan.ticks.map((t) => t.nominalAt),
    ...(plan.nextFireAt === null ? [] : [plan.nextFireAt]),
  ];
  const bad = times.map(timeProblem).find((p) => p !== null);
  return bad ? { broken: `planning the next fire gave an unstorable time: ${bad}` } : { plan };
}
