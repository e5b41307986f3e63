import {
  bucketStart,
  emptyCounts,
  type Rates,
  type RollupCounts,
  type RollupSubject,
  ratesOf,
} from "../core/rollup.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";

/** Success and on-time rates over the last 24 h, 7 d and 90 d, from rollups (they survive pruning). */
export interface RateWindows {
  "24h": Rates;
  "7d": Rates;
  "90d": Rates;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * Reads the rollups of `names` and sums them per window: 24 h from the hourly rollups of the
 * last 24 hours (the current one included), 7 d and 90 d from the daily rollups of the last 7 and
 * 90 UTC days (today included). Ticks newer than the fold lag are not in any rollup yet.
 */
export async function readRates(
  history: Pick<StoreQueries, "listRollups" | "sumRollups">,
  subject: RollupSubject,
  names: readonly string[],
  now: number,
): Promise<Map<string, RateWindows>> {
  const hourFrom = bucketStart(now, "hour") - 23 * HOUR;
  const today = bucketStart(now, "day");
  const [hours, days] = await Promise.all([
    history.listRollups({ subject, names, period: "hour", from: hourFrom, to: now + 1 }),
    history.listRollups({ subject, names, period: "day", from: today - 89 * DAY, to: now + 1 }),
  ]);
  const result = new Map<string, RateWindows>();
  for (const name of names) {
    const mine = days.filter((r) => r.name === name);
    result.set(name, {
      "24h": ratesOf(hours.filter((r) => r.name === name)),
      "7d": ratesOf(mine.filter((r) => r.bucketStart >= today - 6 * DAY)),
      "90d": ratesOf(mine),
    });
  }
  return result;
}

/** Success and on-time rates only (no percentiles), per window. */
export interface RateSummary {
  "24h": SimpleRates;
  "7d": SimpleRates;
  "90d": SimpleRates;
}

export interface SimpleRates {
  successRate: number | null;
  onTimeRate: number | null;
  counts: RollupCounts;
}

function simple(counts: RollupCounts | undefined): SimpleRates {
  const c = counts ?? emptyCounts();
  const finished = c.succeeded + c.failed;
  const timed = c.onTime + c.late;
  return {
    successRate: finished === 0 ? null : c.succeeded / finished,
    onTimeRate: timed === 0 ? null : c.onTime / timed,
    counts: c,
  };
}

/** The overview's rates for every subject at once: three summing queries, no rows read into memory. */
export async function readRateSummaries(
  history: Pick<StoreQueries, "listRollups" | "sumRollups">,
  subject: RollupSubject,
  now: number,
): Promise<Map<string, RateSummary>> {
  const today = bucketStart(now, "day");
  // Two scans: the last 24 hourly rollups, and the last 90 daily ones summed for 90 d and 7 d at once.
  const [hours, days] = await Promise.all([
    history.sumRollups({
      subject,
      period: "hour",
      since: [bucketStart(now, "hour") - 23 * HOUR],
      to: now + 1,
    }),
    history.sumRollups({ subject, period: "day", since: [today - 89 * DAY, today - 6 * DAY], to: now + 1 }),
  ]);
  const names = new Set([...hours.keys(), ...days.keys()]);
  return new Map(
    [...names].map((name) => [
      name,
      {
        "24h": simple(hours.get(name)?.[0]),
        "7d": simple(days.get(name)?.[1]),
        "90d": simple(days.get(name)?.[0]),
      },
    ]),
  );
}
