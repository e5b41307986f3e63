import { bucketStart, type Rates, type RollupSubject, ratesOf } from "../core/rollup.ts";
import type { HistoryStore } from "../store/ports/history.ts";

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
  history: HistoryStore,
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
