import type { TickflowEvents } from "../events.ts";

/**
 * Counts schedule ticks by schedule, decision and reason from the moment the Tickflow exists, so
 * that the first decisions after a restart — the ticks its downtime missed, decided during
 * `start()` — are in `tickflow_schedule_ticks_total` even though the HTTP server (and its metrics
 * registry) is created after start.
 */
export interface TickCounter {
  /** [schedule, decision, reason, count] for every combination seen. */
  entries(): [schedule: string, decision: string, reason: string, count: number][];
}

export function countScheduleTicks(events: TickflowEvents): TickCounter {
  const counts = new Map<string, number>();
  events.on("schedule:tick", (e) => {
    const key = JSON.stringify([e.scheduleId, e.decision, e.reason ?? ""]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  return {
    entries: () =>
      [...counts.entries()].map(([key, n]) => {
        const [schedule, decision, reason] = JSON.parse(key) as [string, string, string];
        return [schedule, decision, reason, n];
      }),
  };
}
