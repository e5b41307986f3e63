import { nextFireAt, type Trigger } from "./triggers.ts";

/**
 * What to do with ticks that passed while no scheduler ran them (spec §2):
 * - `skip`: drop them (recorded `missed`, reason `misfire`: no job ran for them and no rule of the
 *   user's chose that — the vocabulary of core/tick-vocabulary.ts); run only on-time ticks.
 * - `latest`: coalesce them into one run of the most recent (others recorded `missed`, `coalesced`).
 * - `all`: run each one not older than `graceMs` (older ones recorded `missed`, `expired`).
 */
export const MISFIRE_POLICIES = ["skip", "latest", "all"] as const;
export type MisfirePolicy = (typeof MISFIRE_POLICIES)[number];

/** Whether a tick may start while the previous run of the same schedule has not finished. */
export const OVERLAP_POLICIES = ["allow", "skip"] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export const TICK_DECISIONS = ["fired", "missed", "skipped"] as const;
export type TickDecision = (typeof TICK_DECISIONS)[number];
export type TickReason = "misfire" | "coalesced" | "expired" | "overlap" | "paused" | null;

/**
 * A tick up to this late is on time and fires under every policy. 1 s absorbs a scheduler
 * that woke late (GC pause, busy event loop, a slow transaction) without calling it a misfire.
 */
export const ON_TIME_TOLERANCE_MS = 1_000;

/** At most this many overdue ticks are enumerated per catch-up; older ones are counted, not listed. */
export const MAX_CATCH_UP_TICKS = 1_000;

export interface TickPlanInput {
  trigger: Trigger;
  /** The pending nominal fire time stored on the schedule. */
  nextFireAt: number;
  now: number;
  misfire: MisfirePolicy;
  graceMs: number;
  overlap: OverlapPolicy;
  paused: boolean;
  /** An earlier job of this schedule has not finished (pending or running). */
  previousRunUnfinished: boolean;
}

export interface PlannedTick {
  nominalAt: number;
  decision: TickDecision;
  reason: TickReason;
}

export interface TickPlan {
  ticks: PlannedTick[];
  /** Overdue ticks beyond MAX_CATCH_UP_TICKS that were passed over without a row. */
  uncounted: number;
  /** The next nominal time after the ticks handled here; null when the trigger is done. */
  nextFireAt: number | null;
}

/** Decides every tick due at `now`. Pure: same input, same plan, in every process. */
export function planTicks(input: TickPlanInput): TickPlan {
  const due: number[] = [];
  let uncounted = 0;
  let cursor: number | null = skipAhead(input);
  if (cursor !== input.nextFireAt && cursor !== null) uncounted = estimateSkipped(input, cursor);
  while (cursor !== null && cursor <= input.now) {
    due.push(cursor);
    if (due.length > MAX_CATCH_UP_TICKS) {
      due.shift();
      uncounted++;
    }
    cursor = nextFireAt(input.trigger, cursor);
  }
  const ticks = due.map((nominalAt): PlannedTick => ({ nominalAt, decision: "fired", reason: null }));
  if (input.paused) {
    for (const tick of ticks) Object.assign(tick, { decision: "skipped", reason: "paused" });
    return { ticks, uncounted, nextFireAt: cursor };
  }
  applyMisfirePolicy(ticks, input);
  if (input.overlap === "skip") {
    let unfinished = input.previousRunUnfinished;
    for (const tick of ticks) {
      if (tick.decision !== "fired") continue;
      if (unfinished) Object.assign(tick, { decision: "skipped", reason: "overlap" });
      unfinished = true;
    }
  }
  return { ticks, uncounted, nextFireAt: cursor };
}

function applyMisfirePolicy(ticks: PlannedTick[], input: TickPlanInput): void {
  const isLate = (tick: PlannedTick) => input.now - tick.nominalAt > ON_TIME_TOLERANCE_MS;
  const late = ticks.filter(isLate);
  if (late.length === 0) return;
  switch (input.misfire) {
    case "skip":
      for (const tick of late) Object.assign(tick, { decision: "missed", reason: "misfire" });
      return;
    case "latest": {
      // Late ticks are the oldest ones; keep the newest of them only when no tick is on time.
      const anyOnTime = late.length < ticks.length;
      const keep = anyOnTime ? undefined : late[late.length - 1];
      for (const tick of late) {
        if (tick !== keep) Object.assign(tick, { decision: "missed", reason: "coalesced" });
      }
      if (keep) keep.reason = "misfire";
      return;
    }
    case "all":
      for (const tick of late) {
        if (input.now - tick.nominalAt > input.graceMs)
          Object.assign(tick, { decision: "missed", reason: "expired" });
        else tick.reason = "misfire";
      }
      return;
  }
}

/**
 * Where to start enumerating overdue ticks. After a long outage, walking every missed tick of a
 * fast schedule would block the event loop (a day of `* * * * * *` is 86 400 ticks, ~3.6 s);
 * only the newest MAX_CATCH_UP_TICKS get rows, so start just before them.
 */
function skipAhead(input: TickPlanInput): number | null {
  const { trigger, now } = input;
  const first = input.nextFireAt;
  const second = nextFireAt(trigger, first);
  if (second === null || second > now) return first;
  const spacing = second - first;
  const window = spacing * (MAX_CATCH_UP_TICKS + 1);
  if (now - first <= window * 2) return first;
  if (trigger.kind === "every") return first + Math.floor((now - window - first) / spacing) * spacing;
  return nextFireAt(trigger, now - window) ?? first;
}

/** How many ticks skipAhead passed over: exact for `every`, estimated from spacing for cron. */
function estimateSkipped(input: TickPlanInput, resumedAt: number): number {
  const second = nextFireAt(input.trigger, input.nextFireAt);
  const spacing = second === null ? 1 : Math.max(1, second - input.nextFireAt);
  return Math.round((resumedAt - input.nextFireAt) / spacing);
}
