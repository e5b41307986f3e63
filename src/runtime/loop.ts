import type { Waker } from "./waker.ts";

/**
 * Every background loop's body (Solid Queue's poller, in promises): run `tick`, sleep for the
 * delay it returns — or `errorDelayMs` after it threw, reported through `onError` — until
 * `stopping()`. The waker ends a sleep early (a hint, a freed slot, stop()).
 */
export async function runLoop(loop: {
  tick(): Promise<number>;
  waker: Waker;
  stopping(): boolean;
  onError(error: Error): void;
  errorDelayMs: number;
}): Promise<void> {
  while (!loop.stopping()) {
    let delay: number;
    try {
      delay = await loop.tick();
    } catch (error) {
      loop.onError(error as Error);
      delay = loop.errorDelayMs;
    }
    if (loop.stopping()) break;
    await loop.waker.sleep(delay);
  }
}
