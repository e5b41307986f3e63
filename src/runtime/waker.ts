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
        this.timer = setTimeout(() => this.wake(), ms);
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

  /** Shortens the current sleep so it ends by `at` (epoch ms); never lengthens it. */
  wakeBy(at: number, now: number): void {
    if (at <= now) {
      this.wake();
      return;
    }
    if (!this.resolveSleep) {
      this.pendingAt = Math.min(this.pendingAt, at);
      return;
    }
    if (at >= this.wakeAt) return;
    clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(() => this.wake(), at - now);
  }
}
