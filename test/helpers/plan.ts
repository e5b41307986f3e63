import { planTicks } from "../../src/core/misfire.ts";
import type { Trigger } from "../../src/core/triggers.ts";
import type { ScheduleRow } from "../../src/store/ports/rows.ts";

/** The scheduler's plan callback for a fixed `now`, for tests that call fireDueSchedules directly. */
export const planFor = (now: number) => (s: ScheduleRow, previousRunUnfinished: boolean) =>
  planTicks({
    trigger: s.trigger as Trigger,
    nextFireAt: s.nextFireAt ?? now,
    now,
    misfire: s.misfire,
    graceMs: s.graceMs,
    overlap: s.overlap,
    paused: s.paused,
    previousRunUnfinished,
  });
