import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClockSample, estimateOffset, followedNow } from "../../../src/core/clock-offset.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A sample whose server clock runs `skew` ms ahead, read `serverDelay` ms after sending. */
const sample = (sentAt: number, rtt: number, skew: number, serverDelay = rtt / 2): ClockSample => ({
  sentAt,
  serverAt: sentAt + serverDelay + skew,
  receivedAt: sentAt + rtt,
});

describe("estimateOffset", () => {
  const cases: [name: string, samples: ClockSample[], expected: ReturnType<typeof estimateOffset>][] = [
    ["no samples", [], null],
    [
      "one symmetric sample, server 5 s ahead",
      [sample(T0, 2, 5_000)],
      { offsetMs: 5_000, rttMs: 2, errorMs: 1 },
    ],
    ["server behind", [sample(T0, 1, -1_234)], { offsetMs: -1_234, rttMs: 1, errorMs: 0.5 }],
    ["clocks agree, zero round trip", [sample(T0, 0, 0)], { offsetMs: 0, rttMs: 0, errorMs: 0 }],
    [
      "the shortest round trip wins",
      [sample(T0, 40, 300, 35), sample(T0 + 100, 2, 300), sample(T0 + 200, 10, 300, 1)],
      { offsetMs: 300, rttMs: 2, errorMs: 1 },
    ],
    [
      "asymmetric delay: wrong by at most half the round trip",
      [sample(T0, 10, 0, 10)],
      { offsetMs: 5, rttMs: 10, errorMs: 5 },
    ],
    [
      "a sample taken across a local clock step back is ignored",
      [{ sentAt: T0, serverAt: T0, receivedAt: T0 - 1_000 }, sample(T0, 4, 50)],
      { offsetMs: 50, rttMs: 4, errorMs: 2 },
    ],
    ["only unusable samples", [{ sentAt: T0, serverAt: Number.NaN, receivedAt: T0 + 1 }], null],
  ];
  for (const [name, samples, expected] of cases) {
    it(name, () => assert.deepEqual(estimateOffset(samples), expected));
  }

  it("the error bound holds for any placement of the server read within the round trip", () => {
    for (const delay of [0, 1, 2.5, 5, 7.5, 10]) {
      const estimate = estimateOffset([sample(T0, 10, 700, delay)])!;
      assert.ok(Math.abs(estimate.offsetMs - 700) <= estimate.errorMs, `delay ${delay}`);
    }
  });
});

describe("followedNow", () => {
  const cases: [name: string, local: number, offset: number, last: number, expected: number][] = [
    ["local plus offset", T0, 250, 0, T0 + 250],
    ["a negative offset", T0, -250, 0, T0 - 250],
    ["whole milliseconds, as stores keep them", T0, -0.572, 0, T0 - 1],
    ["never before the last reading (offset re-measured smaller)", T0, 0, T0 + 3, T0 + 3],
    ["moves on once the local clock catches up", T0 + 10, 0, T0 + 3, T0 + 10],
  ];
  for (const [name, local, offset, last, expected] of cases) {
    it(name, () => assert.equal(followedNow(local, offset, last), expected));
  }
});
