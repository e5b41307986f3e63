import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyHeartbeat,
  DEFAULT_HEARTBEAT_GRACE_MS,
  HEARTBEAT_EVENT_DELAY_MS,
  HEARTBEAT_PERIOD_MS,
  type HeartbeatBeat,
  type HeartbeatHealthStatus,
} from "../../../src/core/heartbeat-health.ts";

/** A minute boundary; beats are described by offsets from it. */
const M = Date.UTC(2030, 0, 1, 12, 1, 0);
const P = HEARTBEAT_PERIOD_MS;
const D = HEARTBEAT_EVENT_DELAY_MS;
const G = DEFAULT_HEARTBEAT_GRACE_MS;
/** The schedule was created 30 s before M: the first beat is due at M. */
const SINCE = M - 30_000;

let ids = 0;
/** A beat at minute `M + minute·P`, started `lateness` after it; its event started `delay` after the beat (null: not run; "none": never enqueued). */
function beat(minute: number, lateness = 0, delay: number | null | "none" = D): HeartbeatBeat {
  const nominalAt = M + minute * P;
  const ranAt = nominalAt + lateness;
  const id = String(++ids);
  return {
    jobId: `t${id}`,
    nominalAt,
    ranAt,
    event:
      delay === "none"
        ? null
        : { jobId: `e${id}`, uuid: `uuid-${id}`, ranAt: delay === null ? null : ranAt + delay },
  };
}

type Case = [
  name: string,
  beats: HeartbeatBeat[],
  now: number,
  expected: { status: HeartbeatHealthStatus; timed: HeartbeatHealthStatus; event: HeartbeatHealthStatus },
];

const s = (status: HeartbeatHealthStatus, timed = status, event = status) => ({ status, timed, event });

describe("classifyHeartbeat", () => {
  const cases: Case[] = [
    // ── before the first beat ────────────────────────────────────────────────
    ["no beat yet, first not due", [], M - 1_000, s("ok")],
    ["no beat yet, first due at the grace boundary", [], M + G, s("ok")],
    ["no beat yet, 1 ms past grace", [], M + G + 1, s("late", "late", "ok")],
    [
      "no beat yet, a minute past grace (2 min + G after creation's minute)",
      [],
      M + G + P,
      s("late", "late", "ok"),
    ],
    ["no beat yet, beyond that", [], M + G + P + 1, s("missing", "missing", "ok")],

    // ── a healthy pair ───────────────────────────────────────────────────────
    ["beat on time, event not due yet", [beat(0, 200, null)], M + 5_000, s("ok")],
    ["beat on time, event exactly 10 s later", [beat(0, 200)], M + 20_000, s("ok")],
    ["beat G late exactly", [beat(0, G)], M + 20_000, s("ok")],
    ["event D + G after its beat exactly", [beat(0, 0, D + G)], M + 20_000, s("ok")],
    ["next beat due at the grace boundary", [beat(0)], M + P + G, s("ok")],
    [
      "newest event pending, the previous pair was fine",
      [beat(0), beat(1, 100, null)],
      M + P + 3_000,
      s("ok"),
    ],

    // ── late ─────────────────────────────────────────────────────────────────
    ["beat started 1 ms over grace after its minute", [beat(0, G + 1)], M + 20_000, s("late", "late", "ok")],
    [
      "event started 1 ms over D + G after its beat",
      [beat(0, 0, D + G + 1)],
      M + 20_000,
      s("late", "ok", "late"),
    ],
    ["event not run, 1 ms over D + G", [beat(0, 0, null)], M + D + G + 1, s("late", "ok", "late")],
    ["event not run, at D + 2G", [beat(0, 0, null)], M + D + 2 * G, s("late", "ok", "late")],
    ["next beat overdue by 1 ms", [beat(0)], M + P + G + 1, s("late", "late", "ok")],
    ["next beat overdue by a whole minute", [beat(0)], M + 2 * P + G, s("late", "late", "ok")],
    [
      "newest event pending, the previous pair's event was late",
      [beat(0, 0, D + G + 500), beat(1, 0, null)],
      M + P + 3_000,
      s("late", "ok", "late"),
    ],

    // ── missing ──────────────────────────────────────────────────────────────
    ["event not run, 1 ms over D + 2G", [beat(0, 0, null)], M + D + 2 * G + 1, s("missing", "ok", "missing")],
    ["event never enqueued", [beat(0, 0, "none")], M + D + 2 * G + 1, s("missing", "ok", "missing")],
    ["next beat overdue by over a minute", [beat(0)], M + 2 * P + G + 1, s("missing", "missing", "ok")],
    [
      "newest event pending, the previous pair's event never came",
      [beat(0, 0, null), beat(1, 0, null)],
      M + P + 3_000,
      s("missing", "ok", "missing"),
    ],
    ["both paths down: worst wins", [beat(0, 0, null)], M + 3 * P, s("missing")],
  ];

  for (const [name, beats, now, expected] of cases) {
    it(`${name} → ${expected.status}`, () => {
      const health = classifyHeartbeat({ beats, since: SINCE, now });
      assert.deepEqual(
        { status: health.status, timed: health.timed, event: health.event },
        expected,
        health.reason,
      );
      assert.equal(health.checkedAt, now);
      assert.equal(health.graceMs, G);
    });
  }

  it("reports the newest beat's lateness and the newest event's delay, with the UUID from the event", () => {
    const older = beat(0, 300, 10_400);
    const newer = beat(1, 700, null);
    const health = classifyHeartbeat({ beats: [older, newer], since: SINCE, now: M + P + 2_000 });
    assert.deepEqual(health.lastTimed, {
      jobId: newer.jobId,
      uuid: newer.event!.uuid,
      nominalAt: M + P,
      ranAt: M + P + 700,
      latenessMs: 700,
    });
    assert.deepEqual(health.lastEvent, {
      jobId: older.event!.jobId,
      timedJobId: older.jobId,
      uuid: older.event!.uuid,
      ranAt: M + 300 + 10_400,
      delayMs: 10_400,
    });
  });

  it("a beat that enqueued no event has no UUID", () => {
    const health = classifyHeartbeat({ beats: [beat(0, 0, "none")], since: SINCE, now: M + 1_000 });
    assert.equal(health.lastTimed?.uuid, null);
    assert.equal(health.lastEvent, null);
  });

  it("beats that have not started are not beats yet", () => {
    const notRun: HeartbeatBeat = { jobId: "x", nominalAt: M + P, ranAt: null, event: null };
    const health = classifyHeartbeat({ beats: [beat(0), notRun], since: SINCE, now: M + P + G + 1 });
    assert.equal(health.timed, "late");
    assert.equal(health.lastTimed?.nominalAt, M);
  });

  it("order of the beats does not matter", () => {
    const beats = [beat(0), beat(1), beat(2)];
    const now = M + 2 * P + 20_000;
    const a = classifyHeartbeat({ beats, since: SINCE, now });
    const b = classifyHeartbeat({ beats: [...beats].reverse(), since: SINCE, now });
    assert.deepEqual(a, b);
    assert.equal(a.lastTimed?.nominalAt, M + 2 * P);
  });

  it("beats from before the schedule was (re)created are ignored", () => {
    const old = beat(-60, 0, null); // an hour earlier, its event never came
    const health = classifyHeartbeat({ beats: [old], since: SINCE, now: M - 1_000 });
    assert.equal(health.status, "ok", health.reason);
    assert.equal(health.lastTimed, null);
  });

  it("no schedule stored and no beat: missing", () => {
    const health = classifyHeartbeat({ beats: [], since: null, now: M });
    assert.equal(health.status, "missing");
    assert.match(health.reason, /no heartbeat schedule is stored/);
  });

  it("no schedule stored but recent beats (the schedule lives elsewhere): judged on the beats", () => {
    const health = classifyHeartbeat({ beats: [beat(0)], since: null, now: M + 20_000 });
    assert.equal(health.status, "ok");
  });

  it("the grace is a parameter", () => {
    const beats = [beat(0, 8_000)];
    assert.equal(classifyHeartbeat({ beats, since: SINCE, now: M + 20_000 }).timed, "late");
    const wide = classifyHeartbeat({ beats, since: SINCE, now: M + 20_000, graceMs: 10_000 });
    assert.equal(wide.timed, "ok");
    assert.equal(wide.graceMs, 10_000);
    assert.throws(() => classifyHeartbeat({ beats, since: SINCE, now: M, graceMs: -1 }), RangeError);
  });

  it("says why, naming the overdue minute", () => {
    const health = classifyHeartbeat({ beats: [beat(0)], since: SINCE, now: M + P + G + 2_000 });
    assert.match(health.reason, /the 2030-01-01T12:02:00.000Z timed beat is overdue by 2s/);
    const ok = classifyHeartbeat({ beats: [beat(0, 250)], since: SINCE, now: M + 20_000 });
    assert.match(ok.reason, /12:01:00.000Z timed beat started 250ms after its minute/);
    assert.match(ok.reason, /followed 10s after it/);
  });

  describe("this process's own downtime: interrupted, not late", () => {
    // Stopped 2 s after the M beat (its event pending), started again at S.
    const cases: [string, HeartbeatBeat[], start: number, now: number, HeartbeatHealthStatus][] = [
      [
        "event due in the downtime ran 19.7 s after its beat",
        [beat(0, 50, 19_700)],
        M + 18_000,
        M + 25_000,
        "interrupted",
      ],
      [
        "event due in the downtime, not run yet, just after start",
        [beat(0, 50, null)],
        M + 18_000,
        M + 19_000,
        "interrupted",
      ],
      [
        "event due in the downtime, still not run D + G after start",
        [beat(0, 50, null)],
        M + 18_000,
        M + 18_000 + D + G + 1,
        "missing",
      ],
      ["event due after the start is judged as usual", [beat(0, 50, 19_700)], M + 5_000, M + 25_000, "late"],
      ["without a start time: late", [beat(0, 50, 19_700)], Number.NEGATIVE_INFINITY, M + 25_000, "late"],
      [
        "the next beat fell in the downtime: waiting for the first after start",
        [beat(0)],
        M + P + 30_000,
        M + 2 * P + 3_000,
        "interrupted",
      ],
      [
        "the first beat after start never came: late within one period + grace",
        [beat(0)],
        M + P + 30_000,
        M + 2 * P + G + 1,
        "late",
      ],
      [
        "a beat fired late because of the downtime",
        [beat(1, 30_000)],
        M + P + 29_000,
        M + P + 31_000,
        "interrupted",
      ],
    ];
    for (const [name, beats, start, now, expected] of cases) {
      it(`${name} → ${expected}`, () => {
        const health = classifyHeartbeat({
          beats,
          since: SINCE,
          now,
          ...(Number.isFinite(start) ? { processStartedAt: start } : {}),
        });
        assert.equal(health.status, expected, health.reason);
      });
    }
  });
});
