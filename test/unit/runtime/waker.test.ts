import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Waker } from "../../../src/runtime/waker.ts";

describe("Waker with a sleep longer than setTimeout holds", () => {
  // pollInterval "30d" made an idle worker spin at 12 % CPU: setTimeout(2.6e9) overflows to 1 ms,
  // and the re-arm overflowed again, forever.
  it("a 30-day sleep arms one clamped timer: no overflow warning, no spin, still wakes", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const waker = new Waker();
      let woke = false;
      const sleeping = waker.sleep(30 * 86_400_000).then(() => {
        woke = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(woke, false, "a 30-day sleep does not end after 100 ms");
      waker.wake();
      await sleeping;
      assert.equal(woke, true);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        warnings.filter((name) => name === "TimeoutOverflowWarning"),
        [],
      );
    } finally {
      process.off("warning", onWarning);
    }
  });
});
