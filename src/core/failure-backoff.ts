/**
 * Exponential back-off after consecutive failures, per key (the login account): the first
 * `freeFailures` failures cost nothing, then each one locks the key for base · 2^n, capped at
 * `maxMs`; a success resets it. Attempts during a lock are refused unchecked, so they cannot
 * guess. Memory is bounded: at most `maxKeys` keys (the least recently failed go first), and a key
 * quiet for `forgetAfterMs` is forgotten. Pure: the caller passes `now`.
 */
export interface FailureBackoffRules {
  freeFailures: number;
  baseMs: number;
  maxMs: number;
  forgetAfterMs: number;
  maxKeys: number;
}

/**
 * The dashboard login: 5 free failures, then 1 s, 2 s, 4 s … up to 1 min. The dashboard has one
 * account (the API token), shared by every address, so the cap is short: an attacker who keeps it
 * locked costs a real user at most a minute, and gets about one guess a minute from anywhere.
 */
export const LOGIN_BACKOFF: FailureBackoffRules = {
  freeFailures: 5,
  baseMs: 1_000,
  maxMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxKeys: 1_000,
};

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export class FailureBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly rules: FailureBackoffRules = LOGIN_BACKOFF) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryInMs(key: string, now: number): number {
    const entry = this.current(key, now);
    return entry ? Math.max(0, entry.lockedUntil - now) : 0;
  }

  /** Records a failure; returns how long `key` is now locked (0 while failures are still free). */
  fail(key: string, now: number): number {
    const entry = this.current(key, now) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.rules.freeFailures;
    const lockMs =
      over <= 0 ? 0 : Math.min(this.rules.maxMs, this.rules.baseMs * 2 ** Math.min(over - 1, 40));
    entry.lockedUntil = now + lockMs;
    // Re-inserted so the Map's order is least recently failed first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.rules.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    return lockMs;
  }

  /** A success clears the key's failures. */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  /** Consecutive failures recorded for `key`. */
  failures(key: string, now: number): number {
    return this.current(key, now)?.failures ?? 0;
  }

  get size(): number {
    return this.entries.size;
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && now - entry.lastFailureAt >= this.rules.forgetAfterMs && now >= entry.lockedUntil) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
