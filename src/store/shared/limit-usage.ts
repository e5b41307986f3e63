import { bucketId, bucketKey, type LimitRule, refill, ruleApplies } from "../../core/job-limits.ts";
import type { LimitKeyUsage, LimitUsageRow, LimitWaitReason } from "../ports/rows.ts";
import { usageFrom } from "./limited-claim.ts";
import type { DbRow } from "./rows.ts";

/** What limitUsage reads, the same on both adapters (each groups by queue, type, concurrency_key). */
export interface LimitUsageInput {
  running: readonly DbRow[];
  /** Due pending jobs grouped (queue, type, concurrency_key, n). */
  waiting: readonly DbRow[];
  buckets: readonly DbRow[];
  pausedTypes: ReadonlySet<string>;
  closedQueues: ReadonlySet<string>;
}

const MAX_KEYS = 50;

/** Turns the grouped counts into each rule's usage, naming why its waiting jobs wait. */
export function limitUsageRows(
  rules: readonly LimitRule[],
  input: LimitUsageInput,
  now: number,
): LimitUsageRow[] {
  const usage = usageFrom(rules, input.running, input.buckets);
  return rules.map((rule) => {
    const running = usage.running.get(rule.name) ?? 0;
    const byKey = usage.runningByKey.get(rule.name) ?? new Map<string, number>();
    const tokensOf = (key: string) =>
      rule.rate ? refill(usage.buckets.get(bucketId(rule.name, key)), rule.rate, now).tokens : null;
    const keys = new Map<string, LimitKeyUsage>();
    const keyUsage = (key: string) => {
      const k = keys.get(key) ?? {
        key,
        running: byKey.get(key) ?? 0,
        waiting: 0,
        tokens: rule.rate?.perKey ? tokensOf(key) : null,
      };
      keys.set(key, k);
      return k;
    };
    for (const key of byKey.keys()) keyUsage(key);
    const waitingBy: Record<LimitWaitReason, number> = {
      concurrency: 0,
      key: 0,
      rate: 0,
      paused: 0,
      none: 0,
    };
    let waiting = 0;
    for (const row of input.waiting) {
      const job = { queue: row.queue as string, type: row.type as string };
      if (!ruleApplies(rule, job)) continue;
      const key = (row.concurrency_key ?? null) as string | null;
      const n = Number(row.n);
      waiting += n;
      if (key !== null) keyUsage(key).waiting += n;
      waitingBy[reasonFor(rule, job, key, running, byKey, tokensOf, input)] += n;
    }
    const busiest = [...keys.values()]
      .sort((a, b) => b.running - a.running || b.waiting - a.waiting || (a.key < b.key ? -1 : 1))
      .slice(0, MAX_KEYS);
    return {
      name: rule.name,
      queue: rule.queue,
      type: rule.type,
      concurrency: rule.concurrency,
      perKey: rule.perKey,
      rate: rule.rate,
      running,
      tokens: rule.rate && !rule.rate.perKey ? tokensOf("") : null,
      waiting,
      waitingBy,
      keys: busiest,
    };
  });
}

function reasonFor(
  rule: LimitRule,
  job: { queue: string; type: string },
  key: string | null,
  running: number,
  byKey: ReadonlyMap<string, number>,
  tokensOf: (key: string) => number | null,
  input: LimitUsageInput,
): LimitWaitReason {
  if (input.pausedTypes.has(job.type) || input.closedQueues.has(job.queue)) return "paused";
  if (rule.concurrency !== null && running >= rule.concurrency) return "concurrency";
  if (rule.perKey !== null && key !== null && (byKey.get(key) ?? 0) >= rule.perKey) return "key";
  if (rule.rate && (tokensOf(bucketKey(rule, key)) ?? 1) < 1) return "rate";
  return "none";
}
