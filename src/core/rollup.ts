/**
 * Rollups: history that survives pruning (spec §11). Before retention deletes tick, job-run,
 * flow-run and monitor-transition rows, they are folded into one row per subject (schedule, flow,
 * queue, monitor) per hour and per day: counts by decision and outcome, lateness and duration
 * percentiles, uptime. Pure: rows in, rollups out; the store adds them to what it has.
 *
 * Percentiles must survive merging (an hour folded in two batches, days summed from hours), so a
 * rollup keeps a fixed log₂ histogram per measure rather than raw values: p50/p95 are read from it
 * as the upper bound of the bucket they fall in (at most 2× the true value, exact at 0 and for the
 * max, which is kept on its own). Counts are exact.
 */

export const ROLLUP_SUBJECTS = ["schedule", "flow", "queue", "monitor"] as const;
export type RollupSubject = (typeof ROLLUP_SUBJECTS)[number];
export const ROLLUP_PERIODS = ["hour", "day"] as const;
export type RollupPeriod = (typeof ROLLUP_PERIODS)[number];

const PERIOD_MS: Record<RollupPeriod, number> = { hour: 3_600_000, day: 86_400_000 };

/** Bucket i holds values v with 2^(i−1) < v ≤ 2^i ms; bucket 0 holds v ≤ 1 ms. 2^31 ms ≈ 25 days. */
export const HISTOGRAM_BUCKETS = 32;

export interface RollupCounts {
  /** Samples folded (ticks, runs, checks). */
  total: number;
  fired: number;
  missed: number;
  skipped: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Fired ticks that started within their tolerance / later. */
  onTime: number;
  late: number;
}

export const COUNT_FIELDS: readonly (keyof RollupCounts)[] = [
  "total",
  "fired",
  "missed",
  "skipped",
  "succeeded",
  "failed",
  "cancelled",
  "onTime",
  "late",
];

export interface Rollup {
  subject: RollupSubject;
  name: string;
  period: RollupPeriod;
  /** Start of the hour or (UTC) day. */
  bucketStart: number;
  counts: RollupCounts;
  latency: Measure;
  duration: Measure;
  /** Monitors: time ONLINE and time observed within the bucket. */
  upMs: number;
  observedMs: number;
}

export interface Measure {
  count: number;
  max: number;
  histogram: number[];
}

/** One raw row to fold: a tick, a job run, a flow run or a monitor check/interval. */
export interface RollupSample {
  subject: RollupSubject;
  name: string;
  at: number;
  decision?: "fired" | "missed" | "skipped";
  outcome?: "succeeded" | "failed" | "cancelled" | null;
  late?: boolean;
  latenessMs?: number | null;
  durationMs?: number | null;
  /** Monitors: ONLINE time and observed time this sample covers. */
  upMs?: number;
  observedMs?: number;
  /** false: adds time only, not one to `total` (a slice of a monitor's state). Default true. */
  counted?: boolean;
}

export const emptyMeasure = (): Measure => ({
  count: 0,
  max: 0,
  histogram: new Array(HISTOGRAM_BUCKETS).fill(0),
});

export const emptyCounts = (): RollupCounts => ({
  total: 0,
  fired: 0,
  missed: 0,
  skipped: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  onTime: 0,
  late: 0,
});

export function bucketStart(at: number, period: RollupPeriod): number {
  return Math.floor(at / PERIOD_MS[period]) * PERIOD_MS[period];
}

export function histogramBucket(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(HISTOGRAM_BUCKETS - 1, Math.ceil(Math.log2(ms)));
}

export function observe(measure: Measure, ms: number): void {
  const v = Math.max(0, ms);
  measure.count++;
  measure.max = Math.max(measure.max, v);
  measure.histogram[histogramBucket(v)]!++;
}

/** The p-quantile (0 < p ≤ 1) as the upper bound of its bucket, capped by the max; null when empty. */
export function percentile(measure: Measure, p: number): number | null {
  if (!(p > 0 && p <= 1)) throw new RangeError(`percentile must be in (0, 1], got ${p}`);
  if (measure.count === 0) return null;
  const rank = Math.ceil(p * measure.count);
  let seen = 0;
  for (let i = 0; i < measure.histogram.length; i++) {
    seen += measure.histogram[i]!;
    if (seen >= rank) return Math.min(i === 0 ? 1 : 2 ** i, measure.max);
  }
  return measure.max;
}

export const rollupKey = (r: Pick<Rollup, "subject" | "name" | "period" | "bucketStart">) =>
  `${r.subject}\u0000${r.name}\u0000${r.period}\u0000${r.bucketStart}`;

/** Folds samples into hour and day rollups (both periods from the same rows). */
export function foldSamples(
  samples: readonly RollupSample[],
  periods: readonly RollupPeriod[] = ROLLUP_PERIODS,
): Rollup[] {
  const byKey = new Map<string, Rollup>();
  for (const s of samples) {
    for (const period of periods) {
      const start = bucketStart(s.at, period);
      const key = rollupKey({ subject: s.subject, name: s.name, period, bucketStart: start });
      let r = byKey.get(key);
      if (!r) {
        r = {
          subject: s.subject,
          name: s.name,
          period,
          bucketStart: start,
          counts: emptyCounts(),
          latency: emptyMeasure(),
          duration: emptyMeasure(),
          upMs: 0,
          observedMs: 0,
        };
        byKey.set(key, r);
      }
      addSample(r, s);
    }
  }
  return [...byKey.values()];
}

function addSample(r: Rollup, s: RollupSample): void {
  const c = r.counts;
  if (s.counted !== false) c.total++;
  if (s.decision) c[s.decision]++;
  if (s.outcome) c[s.outcome]++;
  if (s.decision === "fired" || (s.decision === undefined && s.late !== undefined)) {
    if (s.late) c.late++;
    else c.onTime++;
  }
  if (s.latenessMs != null) observe(r.latency, s.latenessMs);
  if (s.durationMs != null) observe(r.duration, s.durationMs);
  r.upMs += s.upMs ?? 0;
  r.observedMs += s.observedMs ?? 0;
}

/** a + b for the same key (an hour folded in two batches). */
export function mergeRollups(a: Rollup, b: Rollup): Rollup {
  if (rollupKey(a) !== rollupKey(b)) throw new RangeError("mergeRollups: different subjects or buckets");
  const counts = emptyCounts();
  for (const f of COUNT_FIELDS) counts[f] = a.counts[f] + b.counts[f];
  return {
    ...a,
    counts,
    latency: mergeMeasure(a.latency, b.latency),
    duration: mergeMeasure(a.duration, b.duration),
    upMs: a.upMs + b.upMs,
    observedMs: a.observedMs + b.observedMs,
  };
}

export function mergeMeasure(a: Measure, b: Measure): Measure {
  return {
    count: a.count + b.count,
    max: Math.max(a.max, b.max),
    histogram: a.histogram.map((n, i) => n + (b.histogram[i] ?? 0)),
  };
}

export interface Rates {
  /** succeeded / (succeeded + failed); null with no finished run. */
  successRate: number | null;
  /** on-time fired ticks / fired ticks that started; null with none. */
  onTimeRate: number | null;
  /** upMs / observedMs (monitors); null with nothing observed. */
  uptime: number | null;
  counts: RollupCounts;
  latencyP50: number | null;
  latencyP95: number | null;
  latencyMax: number | null;
  durationP50: number | null;
  durationP95: number | null;
  durationMax: number | null;
}

/** Rates over any set of rollups of one subject (e.g. the days of the last 90). */
export function ratesOf(rollups: readonly Rollup[]): Rates {
  const counts = emptyCounts();
  let latency = emptyMeasure();
  let duration = emptyMeasure();
  let upMs = 0;
  let observedMs = 0;
  for (const r of rollups) {
    for (const f of COUNT_FIELDS) counts[f] += r.counts[f];
    latency = mergeMeasure(latency, r.latency);
    duration = mergeMeasure(duration, r.duration);
    upMs += r.upMs;
    observedMs += r.observedMs;
  }
  const finished = counts.succeeded + counts.failed;
  const timed = counts.onTime + counts.late;
  return {
    successRate: finished === 0 ? null : counts.succeeded / finished,
    onTimeRate: timed === 0 ? null : counts.onTime / timed,
    uptime: observedMs === 0 ? null : upMs / observedMs,
    counts,
    latencyP50: percentile(latency, 0.5),
    latencyP95: percentile(latency, 0.95),
    latencyMax: latency.count === 0 ? null : latency.max,
    durationP50: percentile(duration, 0.5),
    durationP95: percentile(duration, 0.95),
    durationMax: duration.count === 0 ? null : duration.max,
  };
}

/**
 * Time ONLINE within [from, to) from a monitor's transitions (sorted by time) and its state at
 * `from`. UNKNOWN time is not observed (nothing was proven either way).
 */
export function uptimeBetween(
  initial: "UNKNOWN" | "ONLINE" | "OFFLINE",
  transitions: readonly { at: number; to: "UNKNOWN" | "ONLINE" | "OFFLINE" }[],
  from: number,
  to: number,
): { upMs: number; observedMs: number } {
  let state = initial;
  let cursor = from;
  let upMs = 0;
  let observedMs = 0;
  const account = (until: number) => {
    const span = Math.max(0, Math.min(until, to) - cursor);
    if (state === "ONLINE") upMs += span;
    if (state !== "UNKNOWN") observedMs += span;
    cursor = Math.max(cursor, Math.min(until, to));
  };
  for (const t of transitions) {
    if (t.at < from) {
      state = t.to;
      continue;
    }
    if (t.at >= to) break;
    account(t.at);
    state = t.to;
  }
  account(to);
  return { upMs, observedMs };
}

/**
 * A monitor's time in `state` over [from, to) as samples cut at hour boundaries (each lands in
 * one hourly and one daily rollup): ONLINE time is up, ONLINE and OFFLINE are observed, UNKNOWN
 * is neither (nothing was proven).
 */
export function stateSlices(name: string, state: string, from: number, to: number): RollupSample[] {
  const slices: RollupSample[] = [];
  const observed = state === "ONLINE" || state === "OFFLINE";
  if (!observed) return slices;
  for (let at = from; at < to; ) {
    const end = Math.min(to, bucketStart(at, "hour") + PERIOD_MS.hour);
    const span = end - at;
    slices.push({
      subject: "monitor",
      name,
      at,
      upMs: state === "ONLINE" ? span : 0,
      observedMs: span,
      counted: false,
    });
    at = end;
  }
  return slices;
}
