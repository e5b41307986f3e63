/** The one sanctioned reader of time. Everything else receives `now` or a Clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
