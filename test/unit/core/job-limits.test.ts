import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  admit,
  bucketId,
  type Candidate,
  type LimitUsage,
  nextTokenAt,
  refill,
} from "../../../src/core/job-limits.ts";
import { limitRuleOf } from "../../../src/core/limit-options.ts";
import { dedupeDecision } from "../../../src/store/shared/dedupe.ts";

const none: LimitUsage = { running: new Map(), runningByKey: new Map(), buckets: new Map() };
const job = (id: string, over: Partial<Candidate> = {}): Candidate => ({
  id,
  queue: "q",
  type: "t",
  key: null,
  ...over,
});

describe("limit rules (defineLimit options)", () => {
  it("names a rule after its scope and keeps its caps", () => {
    assert.deepEqual(limitRuleOf({ queue: "q", concurrency: 2, rate: { limit: 5, period: "1s" } }), {
      name: "queue:q",
      queue: "q",
      type: null,
      concurrency: 2,
      perKey: null,
      rate: { limit: 5, periodMs: 1_000, perKey: false },
    });
    assert.equal(limitRuleOf({ type: "t", perKey: 1, name: "tenants" }).name, "tenants");
  });

  it("refuses bad input with one line naming what is wrong", () => {
    const cases: [unknown, RegExp][] = [
      [{ concurrency: 1 }, /exactly one of queue and type/],
      [{ queue: "q", type: "t", concurrency: 1 }, /exactly one of queue and type/],
      [{ queue: "q" }, /at least one of concurrency, perKey and rate/],
      [{ queue: "q", concurrency: 0 }, /concurrency must be a whole number from 1/],
      [{ queue: "q", perKey: 1.5 }, /perKey must be a whole number/],
      [{ queue: "q", rate: { limit: 5 } }, /rate.period/],
      [{ queue: "q", rate: { limit: 5, period: "0ms" } }, /at least 1 ms/],
      [{ queue: "q", concurency: 1 }, /did you mean "concurrency"/],
      [{ queue: "bad name", concurrency: 1 }, /invalid queue name/],
    ];
    for (const [options, message] of cases) assert.throws(() => limitRuleOf(options as never), message);
  });
});

describe("token buckets", () => {
  const rate = { limit: 10, periodMs: 1_000, perKey: false };
  it("start full, refill continuously, never above the limit", () => {
    assert.deepEqual(refill(undefined, rate, 0), { tokens: 10, refilledAt: 0 });
    assert.deepEqual(refill({ tokens: 0, refilledAt: 0 }, rate, 250), { tokens: 2.5, refilledAt: 250 });
    assert.equal(refill({ tokens: 9, refilledAt: 0 }, rate, 60_000).tokens, 10);
    assert.equal(nextTokenAt({ tokens: 0.5, refilledAt: 100 }, rate), 150);
  });
});

describe("admission", () => {
  it("admits up to a scope's concurrency, counting running jobs", () => {
    const rule = limitRuleOf({ queue: "q", concurrency: 3 });
    const usage = { ...none, running: new Map([["queue:q", 1]]) };
    const { admitted } = admit(
      [job("1"), job("2"), job("3"), job("4", { queue: "free" })],
      [rule],
      usage,
      10,
      0,
    );
    assert.deepEqual(
      admitted.map((a) => a.id),
      ["1", "2", "4"],
    );
  });

  it("skips a key at its cap without holding back other keys", () => {
    const rule = limitRuleOf({ queue: "q", perKey: 1 });
    const candidates = [job("1", { key: "a" }), job("2", { key: "a" }), job("3", { key: "b" }), job("4")];
    const result = admit(candidates, [rule], none, 10, 0);
    assert.deepEqual(
      result.admitted.map((a) => a.id),
      ["1", "3", "4"],
    );
    assert.equal(result.keyBlocked, true);
  });

  it("spends rate tokens and reports the buckets to save", () => {
    const rule = limitRuleOf({ queue: "q", rate: { limit: 2, period: 1_000, perKey: true } });
    const usage = { ...none, buckets: new Map([[bucketId("queue:q", "a"), { tokens: 1, refilledAt: 0 }]]) };
    const candidates = [
      job("1", { key: "a" }),
      job("2", { key: "a" }),
      job("3", { key: "b" }),
      job("4", { key: "b" }),
    ];
    const result = admit(candidates, [rule], usage, 10, 0);
    assert.deepEqual(
      result.admitted.map((a) => a.id),
      ["1", "3", "4"],
    );
    assert.deepEqual(
      result.buckets.map((b) => [b.key, b.tokens]),
      [
        ["a", 0],
        ["b", 0],
      ],
    );
  });

  it("holds every rule that covers a job, and the claim's own limit", () => {
    const rules = [limitRuleOf({ queue: "q", concurrency: 5 }), limitRuleOf({ type: "t", concurrency: 1 })];
    assert.equal(admit([job("1"), job("2")], rules, none, 10, 0).admitted.length, 1);
    assert.equal(
      admit([job("1", { type: "u" }), job("2", { type: "u" })], rules, none, 1, 0).admitted.length,
      1,
    );
  });
});

describe("debounce, throttle, singleton decisions", () => {
  const d = (mode: "debounce" | "throttle" | "singleton") => ({ mode, key: "k", windowMs: 1_000 });
  it("replace, drop or insert", () => {
    assert.deepEqual(dedupeDecision(d("debounce"), "7", null), { action: "replace", id: "7" });
    assert.deepEqual(dedupeDecision(d("debounce"), null, "6"), { action: "insert" });
    assert.deepEqual(dedupeDecision(d("singleton"), "7", null), { action: "drop", id: "7" });
    assert.deepEqual(dedupeDecision(d("singleton"), null, "6"), { action: "insert" });
    assert.deepEqual(dedupeDecision(d("throttle"), null, "6"), { action: "drop", id: "6" });
    assert.deepEqual(dedupeDecision(d("throttle"), null, null), { action: "insert" });
  });
});
