import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FailureBackoff, LOGIN_BACKOFF } from "../../../src/core/failure-backoff.ts";

const T0 = 1_000_000;

describe("FailureBackoff (per-account login back-off)", () => {
  it("the first five failures are free, then 1 s, 2 s, 4 s … capped at 1 min", () => {
    const backoff = new FailureBackoff(LOGIN_BACKOFF);
    const locks: number[] = [];
    for (let i = 0; i < 14; i++) locks.push(backoff.fail("a", T0));
    assert.deepEqual(
      locks,
      [0, 0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000],
    );
    assert.equal(backoff.retryInMs("a", T0 + 59_000), 1_000);
    assert.equal(backoff.retryInMs("a", T0 + 60_000), 0);
  });

  it("locks one key only, and a success resets it", () => {
    const backoff = new FailureBackoff(LOGIN_BACKOFF);
    for (let i = 0; i < 6; i++) backoff.fail("a", T0);
    assert.equal(backoff.retryInMs("a", T0), 1_000);
    assert.equal(backoff.retryInMs("b", T0), 0);
    backoff.succeed("a");
    assert.equal(backoff.retryInMs("a", T0), 0);
    assert.equal(backoff.failures("a", T0), 0);
    assert.equal(backoff.fail("a", T0), 0, "the count starts again after a success");
  });

  it("forgets a key after a quiet period", () => {
    const backoff = new FailureBackoff(LOGIN_BACKOFF);
    for (let i = 0; i < 7; i++) backoff.fail("a", T0);
    assert.equal(backoff.failures("a", T0 + LOGIN_BACKOFF.forgetAfterMs - 1), 7);
    assert.equal(backoff.failures("a", T0 + LOGIN_BACKOFF.forgetAfterMs), 0);
  });

  it("keeps bounded memory: at most maxKeys keys, the least recently failed dropped first", () => {
    const backoff = new FailureBackoff({ ...LOGIN_BACKOFF, maxKeys: 3 });
    for (const key of ["a", "b", "c"]) backoff.fail(key, T0);
    backoff.fail("a", T0 + 1); // a is now the most recent
    backoff.fail("d", T0 + 2);
    assert.equal(backoff.size, 3);
    assert.equal(backoff.failures("b", T0 + 3), 0, "b was the least recently failed");
    assert.equal(backoff.failures("a", T0 + 3), 2);
    for (let i = 0; i < 10_000; i++) backoff.fail(`k${i}`, T0);
    assert.equal(backoff.size, 3);
  });
});
