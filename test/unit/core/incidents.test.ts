import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  activeSilence,
  deliveryKey,
  INITIAL_TRACK,
  type IncidentPolicy,
  type IncidentTrack,
  observe,
  readTrack,
  type Silence,
} from "../../../src/core/incidents.ts";

const MIN = 60_000;

/** Feeds `results` (B = bad, G = good) one a minute from t0 = 0; returns the events with their minute. */
function run(text: string, policy: IncidentPolicy, start: IncidentTrack = INITIAL_TRACK) {
  let track = start;
  const events: string[] = [];
  text.split("").forEach((c, i) => {
    const step = observe(track, c === "B", i * MIN, policy);
    track = step.track;
    if (step.event) events.push(`${step.event.kind}#${step.event.seq}@${i}`);
  });
  return { track, events };
}

describe("core/incidents observe", () => {
  const once: IncidentPolicy = { openAfter: 1, resolveAfter: 1, renotifyMs: null };

  it("opens once, stays quiet while open, resolves with a recovery notice", () => {
    assert.deepEqual(run("GBBBBG", once).events, ["open#1@1", "resolve#2@5"]);
  });

  it("re-notifies at the interval while open, numbering each event", () => {
    const policy: IncidentPolicy = { openAfter: 1, resolveAfter: 1, renotifyMs: 2 * MIN };
    assert.deepEqual(run("BBBBBBG", policy).events, [
      "open#1@0",
      "renotify#2@2",
      "renotify#3@4",
      "resolve#4@6",
    ]);
  });

  it("damps flapping: one bad or good evaluation neither opens nor resolves (thresholds 2)", () => {
    const damped: IncidentPolicy = { openAfter: 2, resolveAfter: 2, renotifyMs: null };
    assert.deepEqual(run("GBGBGBG", damped).events, []);
    assert.deepEqual(run("BBGBGBBGG", damped).events, ["open#1@1", "resolve#2@8"]);
  });

  it("a new incident after a resolve starts again at seq 1 with its own opening time", () => {
    const { events, track } = run("BGBB", once);
    assert.deepEqual(events, ["open#1@0", "resolve#2@1", "open#1@2"]);
    assert.equal(track.open?.openedAt, 2 * MIN);
  });

  it("good evaluations on a fresh track produce nothing", () => {
    assert.deepEqual(run("GGGG", once).events, []);
    assert.equal(run("GGGG", once).track.open, null);
  });

  it("reads stored tracks back; anything unreadable starts fresh", () => {
    const { track } = run("BB", once);
    assert.deepEqual(readTrack(JSON.parse(JSON.stringify(track))), track);
    assert.deepEqual(readTrack(null), INITIAL_TRACK);
    assert.deepEqual(readTrack({ v: 2 }), INITIAL_TRACK);
    assert.deepEqual(readTrack("x"), INITIAL_TRACK);
  });

  it("a resumed track continues its incident (same seq line across processes)", () => {
    const policy: IncidentPolicy = { openAfter: 1, resolveAfter: 1, renotifyMs: MIN };
    const first = run("BB", policy);
    const resumed = observe(readTrack(JSON.parse(JSON.stringify(first.track))), false, 10 * MIN, policy);
    assert.equal(resumed.event?.kind, "resolve");
    assert.equal(resumed.event?.seq, 3);
    assert.equal(resumed.event?.openedAt, 0);
  });
});

describe("core/incidents silences", () => {
  const silences: Silence[] = [
    { id: "a", rule: "r1", subject: null, until: 100, reason: "maintenance" },
    { id: "b", rule: null, subject: "s1", until: 200, reason: "known" },
    { id: "c", rule: "r2", subject: "s2", until: 50, reason: "short" },
  ];
  it("matches by rule, subject or both, and only until `until`", () => {
    assert.equal(activeSilence(silences, "r1", "x", 99)?.id, "a");
    assert.equal(activeSilence(silences, "r1", "x", 100), null);
    assert.equal(activeSilence(silences, "r9", "s1", 150)?.id, "b");
    assert.equal(activeSilence(silences, "r2", "s2", 10)?.id, "c");
    assert.equal(activeSilence(silences, "r1", "s1", 50)?.id, "b", "the longest-lasting wins");
    assert.equal(activeSilence(silences, "r2", "s3", 10), null);
  });
  it("names one notification per (incident, event, channel)", () => {
    assert.equal(deliveryKey("7", 2, "ops-hook"), "alert:7:2:ops-hook");
    assert.notEqual(deliveryKey("7", 2, "a"), deliveryKey("7", 3, "a"));
  });
});
