import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { didYouMean, editDistance, parseBooleanFlag } from "../../../src/config/env.ts";
import { CONFIG_KEYS } from "../../../src/config/schema.ts";

describe("parseBooleanFlag", () => {
  const cases: [value: string | undefined, expected: boolean][] = [
    ["1", true],
    ["true", true],
    ["yes", true],
    ["on", true],
    ["TRUE", true],
    [" TRUE ", true],
    ["On", true],
    ["YES", true],
    ["\ttrue\n", true],
    [undefined, false],
    ["", false],
    ["   ", false],
    ["0", false],
    ["false", false],
    ["no", false],
    ["off", false],
    ["enabled", false],
    ["2", false],
    ["y", false],
    ["t", false],
    ["truee", false],
    ["01", false],
    ["1.0", false],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value) ?? "undefined"} → ${expected}`, () => {
      assert.equal(parseBooleanFlag(value), expected);
    });
  }
});

describe("editDistance", () => {
  const cases: [a: string, b: string, expected: number][] = [
    ["", "", 0],
    ["abc", "", 3],
    ["", "abc", 3],
    ["same", "same", 0],
    ["kitten", "sitting", 3],
    ["concurency", "concurrency", 1],
    ["databse", "database", 1],
    ["queus", "queues", 1],
    ["flaw", "lawn", 2],
  ];
  for (const [a, b, expected] of cases) {
    it(`${JSON.stringify(a)} ↔ ${JSON.stringify(b)} = ${expected}`, () => {
      assert.equal(editDistance(a, b), expected);
      assert.equal(editDistance(b, a), expected);
    });
  }
});

describe("didYouMean", () => {
  const cases: [key: string, expected: string | undefined][] = [
    ["concurency", "concurrency"],
    ["concurrancy", "concurrency"],
    ["databse", "database"],
    ["Database", "database"], // case-insensitive
    ["CONCURRENCY", "concurrency"],
    ["queue", "queues"],
    ["schedulr", "scheduler"],
    ["pollInterval", "pollInterval"],
    ["poll_interval", "pollInterval"],
    ["xyz", undefined],
    ["somethingElseEntirely", undefined],
  ];
  for (const [key, expected] of cases) {
    it(`${JSON.stringify(key)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(didYouMean(key, CONFIG_KEYS), expected);
    });
  }

  it("returns undefined with no candidates", () => {
    assert.equal(didYouMean("anything", []), undefined);
  });

  it("picks the closest of several candidates", () => {
    assert.equal(didYouMean("lease", ["least", "lease", "please"]), "lease");
    assert.equal(didYouMean("leaze", ["leave", "lease"]), "leave"); // a tie keeps the first
    assert.equal(didYouMean("leaze", ["lease", "leave"]), "lease");
  });
});
