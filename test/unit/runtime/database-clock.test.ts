import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DatabaseClock } from "../../../src/runtime/database-clock.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A local clock the test moves, and a "database" whose clock runs `skew` ms ahead of it. */
function setup(skew: number, rtt = 2) {
  let local = T0;
  const errors: Error[] = [];
  let down = false;
  const clock = new DatabaseClock({
    localNow: () => local,
    read: async () => {
      if (down) throw new Error("connection refused");
      local += rtt / 2;
      const server = local + skew;
      local += rtt / 2;
      return server;
    },
    onError: (error) => errors.push(error),
  });
  return {
    clock,
    errors,
    advance: (ms: number) => {
      local += ms;
    },
    setDown: (value: boolean) => {
      down = value;
    },
    setSkew: (value: number) => {
      skew = value;
    },
  };
}

describe("DatabaseClock", () => {
  it("is the local clock until measured, then the database's", async () => {
    const t = setup(5_000);
    assert.equal(t.clock.now(), T0);
    const estimate = await t.clock.sync();
    assert.deepEqual(estimate, { offsetMs: 5_000, rttMs: 2, errorMs: 1 });
    t.advance(100);
    assert.equal(t.clock.now(), T0 + 10 + 100 + 5_000); // 5 samples of 2 ms each, then 100 ms
  });

  it("follows a database that runs behind", async () => {
    const t = setup(-90_000);
    await t.clock.sync();
    assert.equal(t.clock.offsetMs, -90_000);
  });

  it("never runs backwards when a new measurement finds a smaller offset", async () => {
    const t = setup(1_000);
    await t.clock.sync();
    const before = t.clock.now();
    t.setSkew(0);
    await t.clock.sync();
    assert.equal(t.clock.offsetMs, 0);
    assert.ok(t.clock.now() >= before, "held at the last reading");
    t.advance(1_000);
    assert.equal(t.clock.now(), T0 + 20 + 1_000, "moves on once the local clock catches up");
  });

  it("keeps the last offset and reports when the database cannot be read", async () => {
    const t = setup(300);
    await t.clock.sync();
    t.setDown(true);
    assert.equal(await t.clock.sync(), null);
    assert.equal(t.errors.length, 1);
    assert.equal(t.clock.offsetMs, 300);
  });

  it("shares one measurement between concurrent calls", async () => {
    let reads = 0;
    const clock = new DatabaseClock({
      read: async () => {
        reads++;
        return Date.now();
      },
      samples: 3,
    });
    await Promise.all([clock.sync(), clock.sync(), clock.sync()]);
    assert.equal(reads, 3);
  });

  it("re-measures periodically while started, and not after stop()", async () => {
    let reads = 0;
    const clock = new DatabaseClock({
      read: async () => {
        reads++;
        return Date.now();
      },
      samples: 1,
      intervalMs: 20,
    });
    clock.start();
    await new Promise((resolve) => setTimeout(resolve, 110));
    clock.stop();
    const seen = reads;
    assert.ok(seen >= 3, `measured ${seen} times`);
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(reads, seen);
  });
});
