import {
  type BucketState,
  bucketId,
  type Candidate,
  type LimitRule,
  type LimitUsage,
  refill,
} from "../../core/job-limits.ts";
import type { DbRow } from "./rows.ts";

/**
 * The SQL-free half of a claim under limits, shared by both adapters. In the claim's transaction
 * (SQLite: its one write transaction; PostgreSQL: after the rules' advisory locks) the adapter
 * 1. counts running jobs grouped by queue, type and concurrency key (`usageFrom`),
 * 2. reads the rules' buckets,
 * 3. runs the candidate scans `candidateScans` plans: one per rule with room left (busy keys
 *    excluded in SQL, so a flooded key is filtered in the index walk rather than filling the
 *    batch), and one for the jobs no rule covers,
 * 4. asks core `admit` which candidates start (`orderCandidates` first: one claim order),
 * 5. claims those ids and writes the buckets that spent tokens back.
 */

/** The rules a claim from `queues` (all when undefined) may meet: its queues' rules and every type rule. */
export function applicableRules(
  rules: readonly LimitRule[] | undefined,
  queues: readonly string[] | undefined,
): LimitRule[] {
  if (!rules || rules.length === 0) return [];
  return rules.filter((r) => r.queue === null || queues === undefined || queues.includes(r.queue));
}

/** Grouped running counts (queue, type, concurrency_key, n) → per-rule usage. */
export function usageFrom(
  rules: readonly LimitRule[],
  rows: readonly DbRow[],
  buckets: readonly DbRow[],
): LimitUsage {
  const running = new Map<string, number>();
  const runningByKey = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const job = { queue: row.queue as string, type: row.type as string };
    const key = (row.concurrency_key ?? null) as string | null;
    const n = Number(row.n);
    for (const rule of rules) {
      if (rule.queue !== null ? rule.queue !== job.queue : rule.type !== job.type) continue;
      running.set(rule.name, (running.get(rule.name) ?? 0) + n);
      if (key === null) continue;
      const counts = runningByKey.get(rule.name) ?? new Map<string, number>();
      runningByKey.set(rule.name, counts);
      counts.set(key, (counts.get(key) ?? 0) + n);
    }
  }
  const stored = new Map<string, BucketState>();
  for (const b of buckets)
    stored.set(bucketId(b.name as string, b.key as string), {
      tokens: Number(b.tokens),
      refilledAt: Number(b.refilled_at),
    });
  return { running, runningByKey, buckets: stored };
}

export interface CandidateScan {
  /** The rule whose scope to scan; null: the jobs no applicable rule covers. */
  rule: LimitRule | null;
  /** For the uncovered scan: the queues and types some rule covers. */
  excludeQueues: string[];
  excludeTypes: string[];
  /** Concurrency keys at their per-key cap under this rule: skipped in the walk. */
  busyKeys: string[];
  limit: number;
}

/** The scans worth running: a rule whose scope is full (or out of scope-wide tokens) gets none. */
export function candidateScans(
  rules: readonly LimitRule[],
  usage: LimitUsage,
  limit: number,
  now: number,
): CandidateScan[] {
  const scans: CandidateScan[] = [
    {
      rule: null,
      excludeQueues: rules.flatMap((r) => (r.queue !== null ? [r.queue] : [])),
      excludeTypes: rules.flatMap((r) => (r.type !== null ? [r.type] : [])),
      busyKeys: [],
      limit,
    },
  ];
  for (const rule of rules) {
    let room = limit;
    if (rule.concurrency !== null)
      room = Math.min(room, rule.concurrency - (usage.running.get(rule.name) ?? 0));
    if (rule.rate && !rule.rate.perKey) {
      const bucket = refill(usage.buckets.get(bucketId(rule.name, "")), rule.rate, now);
      room = Math.min(room, Math.floor(bucket.tokens));
    }
    if (room <= 0) continue;
    const busyKeys: string[] = [];
    if (rule.perKey !== null) {
      for (const [key, n] of usage.runningByKey.get(rule.name) ?? [])
        if (n >= rule.perKey) busyKeys.push(key);
    }
    // A per-key rule may see several candidates of one key; fetch more so a batch still fills.
    const fetch = rule.perKey !== null || rule.rate?.perKey ? limit * 2 : room;
    scans.push({ rule, excludeQueues: [], excludeTypes: [], busyKeys, limit: fetch });
  }
  return scans;
}

export interface CandidateRow extends Candidate {
  priority: number;
  runAt: number;
}

export function candidateOf(row: DbRow): CandidateRow {
  return {
    id: String(row.id),
    queue: row.queue as string,
    type: row.type as string,
    key: (row.concurrency_key ?? null) as string | null,
    priority: Number(row.priority),
    runAt: Number(row.run_at),
  };
}

/** Claim order (priority DESC, run_at, id), duplicates (a job two scans found) dropped. */
export function orderCandidates(rows: readonly CandidateRow[]): CandidateRow[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return [...byId.values()].sort(
    (a, b) =>
      b.priority - a.priority ||
      a.runAt - b.runAt ||
      a.id.length - b.id.length ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}
