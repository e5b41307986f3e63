import { latestFireAt, nextFireAt, type Trigger } from "./triggers.ts";

/**
 * Why `POST /heartbeat` did not trigger a flow: disabled; it has no schedule (it runs only when
 * triggered by name); its schedule has no fire time since its last run (`not_due`).
 */
export type FlowDueReason = "not_due" | "disabled" | "no_schedule";

/**
 * Whether `POST /heartbeat` should trigger a flow now: it is enabled, has a schedule, and a
 * nominal fire time of that schedule has passed since its last run (or since it was stored, if it
 * never ran). When due, `period` is the latest nominal fire time at or before `now`: the (flow,
 * period) key the store claims, shared with the internal scheduler's tick for the same time.
 * `nextAfter` computes the schedule's next fire time (pass a memoized one: croner takes ~80 µs).
 */
export function flowDueDecision(
  flow: { enabled: boolean; schedule: Trigger | null; lastRunAt: number | null; createdAt: number },
  now: number,
  nextAfter: (trigger: Trigger, after: number) => number | null = nextFireAt,
): { due: true; period: number } | { due: false; reason: FlowDueReason } {
  if (!flow.enabled) return { due: false, reason: "disabled" };
  if (flow.schedule === null) return { due: false, reason: "no_schedule" };
  const next = nextAfter(flow.schedule, flow.lastRunAt ?? flow.createdAt);
  if (next === null || next > now) return { due: false, reason: "not_due" };
  return { due: true, period: latestFireAt(flow.schedule, now) ?? next };
}

/** nextFireAt with a small cache: a flow's last run changes once per run, its trigger rarely. */
export function memoizedNextFireAt(limit = 1_000): (trigger: Trigger, after: number) => number | null {
  const cache = new Map<string, number | null>();
  return (trigger, after) => {
    const key = `${JSON.stringify(trigger)}@${after}`;
    if (cache.has(key)) return cache.get(key)!;
    if (cache.size >= limit) cache.clear();
    const next = nextFireAt(trigger, after);
    cache.set(key, next);
    return next;
  };
}
