/**
 * Cluster-wide limits on starting jobs (spec §13): the rules, their token buckets, and the
 * admission decision a claim makes. Pure: the store counts what runs and keeps the buckets, in the
 * claim's own transaction, and asks `admit` which candidates may start; time is passed in.
 *
 * A rule covers one queue or one job type. It may cap, across every process:
 * - `concurrency`: jobs of the scope running at once;
 * - `perKey`: jobs running at once per concurrency key (jobs without a key are not capped by it);
 * - `rate`: starts per period, as a token bucket (for the scope, or one per key).
 * "Running" is what the store holds leased: a job a worker prefetched holds its slot from its
 * claim on, not only once its handler starts (simple, and never over the limit).
 */

export interface RateRule {
  /** Starts allowed per period; also the bucket's capacity (the largest burst). */
  limit: number;
  periodMs: number;
  /** One bucket per concurrency key instead of one for the whole scope. */
  perKey: boolean;
}

export interface LimitRule {
  /** Unique; names the rule's buckets in the store. */
  name: string;
  /** Exactly one of queue and type is set. */
  queue: string | null;
  type: string | null;
  concurrency: number | null;
  perKey: number | null;
  rate: RateRule | null;
}

export interface BucketState {
  tokens: number;
  refilledAt: number;
}

/** A job the claim could start, in claim order. */
export interface Candidate {
  id: string;
  queue: string;
  type: string;
  key: string | null;
}

/** What the store counted in the claim's transaction. */
export interface LimitUsage {
  /** Rule name → jobs of its scope running now. */
  running: ReadonlyMap<string, number>;
  /** Rule name → concurrency key → jobs running now. */
  runningByKey: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** bucketId(rule, key) → the bucket as stored (absent: never used, full). */
  buckets: ReadonlyMap<string, BucketState>;
}

export interface BucketWrite extends BucketState {
  name: string;
  key: string;
}

export interface Admission {
  admitted: Candidate[];
  /** Buckets that spent tokens, refilled to `now`, to write back. */
  buckets: BucketWrite[];
  /** Some candidate was skipped because its key was at its cap (another scan may find more keys). */
  keyBlocked: boolean;
}

export function ruleApplies(rule: LimitRule, job: { queue: string; type: string }): boolean {
  return rule.queue !== null ? rule.queue === job.queue : rule.type === job.type;
}

/** The bucket a start under `rule` draws from: the scope's (""), or its key's. Keyless jobs share "". */
export function bucketKey(rule: LimitRule, key: string | null): string {
  return rule.rate?.perKey ? (key ?? "") : "";
}

export function bucketId(name: string, key: string): string {
  return `${name}\u0000${key}`;
}

/** Continuous refill at limit/period up to the capacity; a bucket never seen is full. */
export function refill(stored: BucketState | undefined, rate: RateRule, now: number): BucketState {
  if (!stored) return { tokens: rate.limit, refilledAt: now };
  const elapsed = Math.max(0, now - stored.refilledAt);
  const tokens = Math.min(rate.limit, stored.tokens + (elapsed * rate.limit) / rate.periodMs);
  return { tokens, refilledAt: Math.max(now, stored.refilledAt) };
}

/** When the bucket next holds a whole token (now if it does). */
export function nextTokenAt(bucket: BucketState, rate: RateRule): number {
  if (bucket.tokens >= 1) return bucket.refilledAt;
  return bucket.refilledAt + Math.ceil(((1 - bucket.tokens) * rate.periodMs) / rate.limit);
}

export type WaitReason = "concurrency" | "key" | "rate";

/**
 * Walks the candidates in claim order and admits each whose every rule has room, counting the
 * admitted ones as they go, up to `limit`. A candidate that does not fit is skipped, not waited
 * for: a busy key or scope never holds back the jobs behind it that fit.
 */
export function admit(
  candidates: readonly Candidate[],
  rules: readonly LimitRule[],
  usage: LimitUsage,
  limit: number,
  now: number,
): Admission {
  const running = new Map(usage.running);
  const byKey = new Map<string, Map<string, number>>();
  const buckets = new Map<string, BucketWrite>();
  const keyCounts = (name: string) => {
    const counts = byKey.get(name) ?? new Map(usage.runningByKey.get(name));
    byKey.set(name, counts);
    return counts;
  };
  const bucketOf = (rule: LimitRule, rate: RateRule, key: string): BucketWrite => {
    const id = bucketId(rule.name, key);
    const bucket = buckets.get(id) ?? { name: rule.name, key, ...refill(usage.buckets.get(id), rate, now) };
    buckets.set(id, bucket);
    return bucket;
  };
  const admitted: Candidate[] = [];
  const spent = new Set<string>();
  let keyBlocked = false;
  const seen = new Set<string>();
  for (const job of candidates) {
    if (admitted.length >= limit) break;
    if (seen.has(job.id)) continue;
    seen.add(job.id);
    const applicable = rules.filter((rule) => ruleApplies(rule, job));
    const reasons = applicable.map((rule) => blockedBy(rule, job, running, keyCounts, bucketOf));
    if (reasons.includes("key")) keyBlocked = true;
    if (reasons.some((r) => r !== null)) continue;
    admitted.push(job);
    for (const rule of applicable) {
      running.set(rule.name, (running.get(rule.name) ?? 0) + 1);
      if (rule.perKey !== null && job.key !== null) {
        const counts = keyCounts(rule.name);
        counts.set(job.key, (counts.get(job.key) ?? 0) + 1);
      }
      if (rule.rate) {
        const key = bucketKey(rule, job.key);
        bucketOf(rule, rule.rate, key).tokens -= 1;
        spent.add(bucketId(rule.name, key));
      }
    }
  }
  return { admitted, buckets: [...spent].map((id) => buckets.get(id) as BucketWrite), keyBlocked };
}

function blockedBy(
  rule: LimitRule,
  job: Candidate,
  running: ReadonlyMap<string, number>,
  keyCounts: (name: string) => Map<string, number>,
  bucketOf: (rule: LimitRule, rate: RateRule, key: string) => BucketState,
): WaitReason | null {
  if (rule.concurrency !== null && (running.get(rule.name) ?? 0) >= rule.concurrency) return "concurrency";
  if (rule.perKey !== null && job.key !== null && (keyCounts(rule.name).get(job.key) ?? 0) >= rule.perKey)
    return "key";
  if (rule.rate && bucketOf(rule, rule.rate, bucketKey(rule, job.key)).tokens < 1) return "rate";
  return null;
}
