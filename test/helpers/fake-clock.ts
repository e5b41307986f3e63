import type { Clock } from "../../src/core/clock.ts";

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private current: number) {}
  now(): number {
    return this.current;
  }
  set(at: number | Date): void {
    this.current = typeof at === "number" ? at : at.getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
