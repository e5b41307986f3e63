import { clampTimerMs } from "../core/limits.ts";
/**
 * An interruptible sleep (Solid Queue's self-pipe, in promises): a loop sleeps until its delay
 * passes or someone calls wake(). A wake with nobody sleeping is remembered, so a hint that
 * arrives while the loop is busy is not lost.
 */
export class Waker {
  private timer: NodeJS.Timeout | undefined;
  private resolveSleep: (() => void) | undefined;
  private pending = false;
  private wakeAt = Number.POSITIVE_INFINITY;
  /** A wakeBy() that arrived while nobody slept: the next sleep ends by then. */
  private pendingAt = Number.POSITIVE_INFINITY;

  sleep(ms: number): Promise<void> {
    const pendingAt = this.pendingAt;
    this.pendingAt = Number.POSITIVE_INFINITY;
    if (Number.isFinite(pendingAt)) ms = Math.min(ms, pendingAt - Date.now());
    if (this.pending || ms <= 0) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolveSleep = resolve;
      if (Number.isFinite(ms)) {
        this.wakeAt = Date.now() + ms;
        this.arm();
      }
    });
  }

  /** Wakes the sleeper now, or makes its next sleep return at once. */
  wake(): void {
    if (!this.resolveSleep) {
      this.pending = true;
      return;
    }
    const resolve = this.resolveSleep;
    this.resolveSleep = undefined;
    clearTimeout(this.timer);
    this.wakeAt = Number.POSITIVE_INFINITY;
    resolve();
  }

  /**
   * Shortens the current sleep so it ends by `at` (epoch ms on the caller's clock, read as `now`);
   * never lengthens it. The caller's clock may follow the database's, so `at` is turned into the
   * local time the timers here run on.
   */
  wakeBy(callerAt: number, now: number): void {
    if (callerAt <= now) {
      this.wake();
      return;
    }
    const at = Date.now() + (callerAt - now);
    if (!this.resolveSleep) {
      this.pendingAt = Math.min(this.pendingAt, at);
      return;
    }
    if (at >= this.wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.arm();
  }

  /**
   * Arms the timer for wakeAt. Long timers fire late in proportion to their length on some hosts
   * (measured on the 2-core development VM: 100 ms → +0.8 ms, 500 ms → +5.5 ms, 1 s → +8 ms, which
   * made every-second cron ticks ~8 ms late), so aim 2 % early and finish with a short timer, which
   * is accurate to about a millisecond.
   */
  private arm(): void {
    const left = this.wakeAt - Date.now();
    if (left <= 0) {
      this.wake();
      return;
    }
    const early = left > 20 ? Math.ceil(left / 50) : 0;
    // Clamped: a sleep past 2^31-1 ms (pollInterval "30d") would fire at once and spin; arm() re-arms.
    this.timer = setTimeout(() => this.arm(), clampTimerMs(left - early));
  }
}
