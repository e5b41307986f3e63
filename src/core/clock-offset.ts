/**
 * The arithmetic of following a remote clock (the database's) from a local one, NTP-style.
 * Pure: the caller takes the readings and owns the state.
 *
 * One sample is one round trip: the local clock read just before the query is sent (`sentAt`),
 * the server's clock inside the query (`serverAt`), and the local clock read when the reply
 * arrived (`receivedAt`). Assuming the server read its clock halfway through the round trip, the
 * offset is `serverAt − (sentAt + receivedAt) / 2`, wrong by at most half the round trip — so the
 * sample with the shortest round trip is the most trustworthy (a round trip delayed by a busy
 * pool or a GC pause says little).
 */
export interface ClockSample {
  /** Local epoch ms just before the query was sent. */
  sentAt: number;
  /** The remote clock's epoch ms, read during the query. */
  serverAt: number;
  /** Local epoch ms when the reply arrived. */
  receivedAt: number;
}

export interface OffsetEstimate {
  /** remote − local, in ms: add it to the local clock to read the remote one. */
  offsetMs: number;
  /** The round trip of the sample it came from. */
  rttMs: number;
  /** The most the estimate can be off by: half that round trip. */
  errorMs: number;
}

/** The offset from the best (shortest round trip) of `samples`; null when there is none usable. */
export function estimateOffset(samples: readonly ClockSample[]): OffsetEstimate | null {
  let best: ClockSample | undefined;
  let bestRtt = Number.POSITIVE_INFINITY;
  for (const sample of samples) {
    const rtt = sample.receivedAt - sample.sentAt;
    // A negative round trip means the local clock stepped back mid-sample: no information.
    if (!Number.isFinite(rtt) || rtt < 0 || !Number.isFinite(sample.serverAt)) continue;
    if (rtt < bestRtt) {
      best = sample;
      bestRtt = rtt;
    }
  }
  if (!best) return null;
  return {
    offsetMs: best.serverAt - (best.sentAt + best.receivedAt) / 2,
    rttMs: bestRtt,
    errorMs: bestRtt / 2,
  };
}

/**
 * The next reading of a clock that follows the remote one and never runs backwards: `local +
 * offset` rounded to whole ms (stores keep integer epoch ms; the estimate is no finer than that
 * anyway), but not below what was last returned. A re-measured offset that is a few ms smaller
 * would otherwise move "now" back, and a tick or a lease computed just before would then look like
 * it lies in the future.
 */
export function followedNow(local: number, offsetMs: number, lastReturned: number): number {
  return Math.max(Math.round(local + offsetMs), lastReturned);
}
