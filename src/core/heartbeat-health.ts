import { formatDuration } from "./duration.ts";

/**
 * Pair health of the diagnostic heartbeat (spec §4): is the time-based path (a cron beat every
 * minute) and the event-based path (a delayed job 10 s after each beat) working right now?
 * Pure: the caller gathers the beats from the store and passes `now`; nothing here reads a clock.
 *
 * Thresholds, with P = 60 s (the cron period), D = 10 s (the event delay) and G = grace:
 *
 * Timed path — the newest timed beat that ran (or, before the first one, the minute the stored
 * schedule was created) sets when the next beat is due: the next minute boundary + G.
 * - `ok`      the next beat is not overdue yet, and the newest beat started ≤ G after its minute;
 * - `late`    the newest beat started > G after its minute, or the next one is overdue by ≤ P;
 * - `missing` the next beat is overdue by > P (a whole further minute passed without a beat: with
 *             no beat at all that is > 2 min + G after the schedule was created), or no heartbeat
 *             schedule is stored and no beat ever ran.
 *
 * Event path — judged on the newest beat whose event has run or is due (an event is due D + G
 * after its beat started; while the newest beat's event is not due yet, the beat before it is
 * judged, so the status does not flap between beats):
 * - `ok`      the event started ≤ D + G after its beat started (or no event is due yet);
 * - `late`    it started later than that, or it has not started and D + G < waited ≤ D + 2G;
 * - `missing` it has not started D + 2G after its beat started (also when the beat enqueued none).
 *
 * The overall status is the worse of the two paths. `ok` therefore means: every beat and event
 * that should have happened by now did, on time.
 *
 * Downtime of the judging process (`processStartedAt`, S): a beat or event that came due while
 * this process was not running, or within G of its start, could not have run on time here, so
 * lateness it took from that downtime is `interrupted`, not `late` or `missing` — a routine restart
 * does not fail readiness. Only what was due before S + G is excused: the first beat due after it
 * is judged as usual, so a scheduler that stays down still turns the status `late` within one
 * period plus grace of the start.
 */

export const HEARTBEAT_PERIOD_MS = 60_000;
export const HEARTBEAT_EVENT_DELAY_MS = 10_000;
/**
 * 5 s of grace: the scheduler wakes for a tick within ~1 s (its sleep is capped at 1 s) and a
 * worker picks a job up at once in the same process or within its poll interval (default 1 s) in
 * another; a busy SQLite writer lock, a GC pause or a slow transaction can add a second or two.
 * 5 s absorbs that noise while still flagging a queue that is really backed up.
 */
export const DEFAULT_HEARTBEAT_GRACE_MS = 5_000;

export type HeartbeatHealthStatus = "ok" | "interrupted" | "late" | "missing";
export const HEARTBEAT_HEALTH_STATUSES: readonly HeartbeatHealthStatus[] = [
  "ok",
  "interrupted",
  "late",
  "missing",
];

/** One timed beat and the event job it enqueued, as read from the store. */
export interface HeartbeatBeat {
  /** The timed job's id. */
  jobId: string;
  /** The minute the beat was fired for (a timed job enqueued by hand: its runAt). */
  nominalAt: number;
  /** When the timed job's first attempt started; null while it has not run. */
  ranAt: number | null;
  /** The event job this beat enqueued, or null when it enqueued none (yet). */
  event: { jobId: string; uuid: string; ranAt: number | null } | null;
}

export interface ClassifyHeartbeatInput {
  /** Recent beats, in any order. */
  beats: readonly HeartbeatBeat[];
  /**
   * When beats began to be expected: the stored heartbeat schedule's creation time. Beats from
   * before it (an earlier enabled period) are ignored. Null when no heartbeat schedule is stored.
   */
  since: number | null;
  now: number;
  /** Default DEFAULT_HEARTBEAT_GRACE_MS. */
  graceMs?: number;
  /** When the judging process started: lateness from its own downtime is `interrupted` (see above). */
  processStartedAt?: number;
}

export interface HeartbeatHealth {
  status: HeartbeatHealthStatus;
  /** Each path on its own; `status` is the worse of the two. */
  timed: HeartbeatHealthStatus;
  event: HeartbeatHealthStatus;
  /** One human-readable sentence saying why. */
  reason: string;
  /** The newest timed beat that ran; `uuid` is null when it enqueued no event (the UUID is in the event's payload). */
  lastTimed: {
    jobId: string;
    uuid: string | null;
    nominalAt: number;
    ranAt: number;
    /** ranAt − nominalAt. */
    latenessMs: number;
  } | null;
  /** The newest event that ran. */
  lastEvent: {
    jobId: string;
    timedJobId: string;
    uuid: string;
    ranAt: number;
    /** ranAt − its timed beat's ranAt (≈ 10 s when healthy). */
    delayMs: number;
  } | null;
  checkedAt: number;
  graceMs: number;
}

const RANK: Record<HeartbeatHealthStatus, number> = { ok: 0, interrupted: 1, late: 2, missing: 3 };

type RanBeat = HeartbeatBeat & { ranAt: number };

const iso = (t: number) => new Date(t).toISOString();
const minuteOf = (t: number) => Math.floor(t / HEARTBEAT_PERIOD_MS) * HEARTBEAT_PERIOD_MS;

/** Classifies the heartbeat at `now` (see the module comment for the exact thresholds). */
export function classifyHeartbeat(input: ClassifyHeartbeatInput): HeartbeatHealth {
  const { now, since } = input;
  const graceMs = input.graceMs ?? DEFAULT_HEARTBEAT_GRACE_MS;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new RangeError(`graceMs must be ≥ 0, got ${graceMs}`);
  const ran = input.beats
    .filter((b): b is RanBeat => b.ranAt !== null && (since === null || b.nominalAt >= since))
    .sort((a, b) => b.nominalAt - a.nominalAt || b.ranAt - a.ranAt);
  const last = ran[0];
  const startedAt = input.processStartedAt ?? Number.NEGATIVE_INFINITY;
  const timed = timedPath(last, since, now, graceMs, startedAt);
  const event = eventPath(ran, now, graceMs, startedAt);
  const status = RANK[event.status] > RANK[timed.status] ? event.status : timed.status;
  const reasons = status === "ok" ? [timed, event] : [timed, event].filter((p) => p.status === status);
  const withEvent = ran.find((b) => b.event?.ranAt != null);
  return {
    status,
    timed: timed.status,
    event: event.status,
    reason: reasons.map((p) => p.reason).join("; "),
    lastTimed: last
      ? {
          jobId: last.jobId,
          uuid: last.event?.uuid ?? null,
          nominalAt: last.nominalAt,
          ranAt: last.ranAt,
          latenessMs: last.ranAt - last.nominalAt,
        }
      : null,
    lastEvent: withEvent
      ? {
          jobId: withEvent.event!.jobId,
          timedJobId: withEvent.jobId,
          uuid: withEvent.event!.uuid,
          ranAt: withEvent.event!.ranAt!,
          delayMs: withEvent.event!.ranAt! - withEvent.ranAt,
        }
      : null,
    checkedAt: now,
    graceMs,
  };
}

interface PathResult {
  status: HeartbeatHealthStatus;
  reason: string;
}

function timedPath(
  last: RanBeat | undefined,
  since: number | null,
  now: number,
  graceMs: number,
  startedAt: number,
): PathResult {
  const from = last?.nominalAt ?? since;
  if (from === null || from === undefined) {
    return { status: "missing", reason: "no heartbeat schedule is stored and no timed beat has run" };
  }
  let nextNominal = minuteOf(from) + HEARTBEAT_PERIOD_MS;
  if (nextNominal < startedAt + graceMs) {
    // Due while this process was down (or starting): the first beat it can prove is the next minute.
    const firstAfterStart = minuteOf(startedAt + graceMs) + HEARTBEAT_PERIOD_MS;
    if (now - (firstAfterStart + graceMs) <= 0) {
      return {
        status: "interrupted",
        reason: `the ${iso(nextNominal)} timed beat fell in this process's downtime (started ${iso(startedAt)}); next beat due ${iso(firstAfterStart)}`,
      };
    }
    nextNominal = firstAfterStart;
  }
  const overdueBy = now - (nextNominal + graceMs);
  const after = last ? `the ${iso(last.nominalAt)} beat` : `the schedule was created at ${iso(from)}`;
  if (overdueBy > HEARTBEAT_PERIOD_MS) {
    return {
      status: "missing",
      reason: `no timed beat since ${after}: the ${iso(nextNominal)} beat never came (${formatDuration(now - nextNominal)} ago)`,
    };
  }
  if (overdueBy > 0) {
    return {
      status: "late",
      reason: `the ${iso(nextNominal)} timed beat is overdue by ${formatDuration(overdueBy)} (grace ${formatDuration(graceMs)})`,
    };
  }
  if (!last) return { status: "ok", reason: `waiting for the first timed beat at ${iso(nextNominal)}` };
  const lateness = last.ranAt - last.nominalAt;
  if (lateness > graceMs && last.nominalAt < startedAt + graceMs && last.ranAt >= startedAt) {
    return {
      status: "interrupted",
      reason: `the ${iso(last.nominalAt)} timed beat started ${formatDuration(lateness)} after its minute, delayed by this process's downtime`,
    };
  }
  if (lateness > graceMs) {
    return {
      status: "late",
      reason: `the ${iso(last.nominalAt)} timed beat started ${formatDuration(lateness)} after its minute (grace ${formatDuration(graceMs)})`,
    };
  }
  return {
    status: "ok",
    reason: `the ${iso(last.nominalAt)} timed beat started ${formatDuration(lateness)} after its minute`,
  };
}

function eventPath(ran: readonly RanBeat[], now: number, graceMs: number, startedAt: number): PathResult {
  const limit = HEARTBEAT_EVENT_DELAY_MS + graceMs;
  for (const beat of ran) {
    const name = `the event of the ${iso(beat.nominalAt)} beat`;
    // Due while this process was down or starting: it gets its limit again, from the start.
    const interrupted = beat.ranAt + HEARTBEAT_EVENT_DELAY_MS < startedAt + graceMs;
    if (beat.event?.ranAt != null) {
      const delay = beat.event.ranAt - beat.ranAt;
      if (interrupted && delay > limit && beat.event.ranAt >= startedAt) {
        return {
          status: "interrupted",
          reason: `${name} followed ${formatDuration(delay)} after it, delayed by this process's downtime (started ${iso(startedAt)})`,
        };
      }
      return delay > limit
        ? {
            status: "late",
            reason: `${name} followed ${formatDuration(delay)} after it (limit ${formatDuration(limit)})`,
          }
        : { status: "ok", reason: `${name} followed ${formatDuration(delay)} after it` };
    }
    const waited = now - beat.ranAt;
    if (waited <= limit) continue; // not due yet: judge the beat before it
    const what = beat.event === null ? "was never enqueued" : "has not run";
    if (interrupted && beat.event !== null && now - startedAt <= limit) {
      return {
        status: "interrupted",
        reason: `${name} came due during this process's downtime and has not run yet (started ${iso(startedAt)})`,
      };
    }
    if (waited <= limit + graceMs) {
      return {
        status: "late",
        reason: `${name} ${what}: overdue by ${formatDuration(waited - limit)}`,
      };
    }
    return {
      status: "missing",
      reason: `${name} ${what} ${formatDuration(waited)} after the beat (limit ${formatDuration(limit + graceMs)})`,
    };
  }
  return { status: "ok", reason: "no event is due yet" };
}
