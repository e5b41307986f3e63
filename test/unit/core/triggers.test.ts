import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeTrigger,
  firstFireAt,
  latestFireAt,
  nextFireAt,
  parseTrigger,
  previewFireTimes,
  type Trigger,
  type TriggerOption,
} from "../../../src/core/triggers.ts";
import { InvalidScheduleError } from "../../../src/errors.ts";

const HOUR = 3_600_000;
const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

/** "2026-03-29 03:00 +02:00": the wall clock and UTC offset of `ms` in `timezone`. */
function local(ms: number, timezone: string): string {
  const fields = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone: timezone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  const part = (type: string): string => {
    const value = fields[type];
    assert.ok(value !== undefined, `no ${type} in the formatted date`);
    return value;
  };
  const parts = {
    year: part("year"),
    month: part("month"),
    day: part("day"),
    hour: part("hour"),
    minute: part("minute"),
    second: part("second"),
  };
  const wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  const offsetMin = Math.round((wall - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  const seconds = parts.second === "00" ? "" : `:${parts.second}`;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds} ${offset}`;
}

/** One line per fire time: UTC instant, then local wall clock with offset. */
function preview(trigger: Trigger & { kind: "cron" }, after: string, count: number): string[] {
  return previewFireTimes(trigger, utc(after), count).map(
    (ms) => `${iso(ms)}  ${local(ms, trigger.timezone)}`,
  );
}

function cron(expression: string, timezone: string): Trigger & { kind: "cron" } {
  const trigger = parseTrigger({ cron: expression, timezone }, "dst-test");
  assert.equal(trigger.kind, "cron");
  return trigger as Trigger & { kind: "cron" };
}

/** Fire times whose local calendar date in `timezone` is `date` (YYYY-MM-DD). */
function firesOnLocalDate(times: number[], timezone: string, date: string): string[] {
  return times.map((ms) => local(ms, timezone)).filter((text) => text.startsWith(date));
}

describe("parseTrigger accepts", () => {
  const cases: [option: TriggerOption, expected: Trigger][] = [
    [{ cron: "*/5 * * * *" }, { kind: "cron", expression: "*/5 * * * *", timezone: "UTC" }],
    [{ cron: "  0 9 * * 1-5  " }, { kind: "cron", expression: "0 9 * * 1-5", timezone: "UTC" }],
    [
      { cron: "30 2 * * *", timezone: "Europe/Berlin" },
      { kind: "cron", expression: "30 2 * * *", timezone: "Europe/Berlin" },
    ],
    [{ cron: "*/15 * * * * *" }, { kind: "cron", expression: "*/15 * * * * *", timezone: "UTC" }],
    [{ every: "30s" }, { kind: "every", intervalMs: 30_000 }],
    [{ every: 100 }, { kind: "every", intervalMs: 100 }],
    [{ every: "100ms" }, { kind: "every", intervalMs: 100 }],
    [{ every: "1d" }, { kind: "every", intervalMs: 86_400_000 }],
    [{ at: "2030-01-01T12:00:00Z" }, { kind: "at", at: utc("2030-01-01T12:00:00Z") }],
    [{ at: new Date(utc("2030-01-01T12:00:00Z")) }, { kind: "at", at: utc("2030-01-01T12:00:00Z") }],
    [{ at: utc("2030-01-01T12:00:00Z") }, { kind: "at", at: utc("2030-01-01T12:00:00Z") }],
  ];
  for (const [option, expected] of cases) {
    it(`${JSON.stringify(option)}`, () => {
      assert.deepEqual(parseTrigger(option, "nightly"), expected);
    });
  }
});

describe("parseTrigger rejects, naming the schedule and the expression", () => {
  const cases: [label: string, option: TriggerOption, message: string][] = [
    ["no kind", {}, 'schedule "nightly": give exactly one of cron, every or at (got none)'],
    [
      "cron and every",
      { cron: "* * * * *", every: "1m" },
      'schedule "nightly": give exactly one of cron, every or at (got cron, every)',
    ],
    [
      "every and at",
      { every: "1m", at: "2030-01-01T00:00:00Z" },
      'schedule "nightly": give exactly one of cron, every or at (got every, at)',
    ],
    [
      "all three",
      { cron: "* * * * *", every: "1m", at: 0 },
      'schedule "nightly": give exactly one of cron, every or at (got cron, every, at)',
    ],
    [
      "4-field cron",
      { cron: "* * * *" },
      'schedule "nightly": cron expression "* * * *" has 4 fields; use 5 (minute hour day month weekday) or 6 (with leading seconds)',
    ],
    [
      "7-field cron",
      { cron: "0 0 0 * * * 2030" },
      'schedule "nightly": cron expression "0 0 0 * * * 2030" has 7 fields; use 5 (minute hour day month weekday) or 6 (with leading seconds)',
    ],
    [
      "a cron nickname",
      { cron: "@daily" },
      'schedule "nightly": cron expression "@daily" has 1 fields; use 5 (minute hour day month weekday) or 6 (with leading seconds)',
    ],
    [
      "minute 61",
      { cron: "61 * * * *" },
      'schedule "nightly": invalid cron expression "61 * * * *": CronPattern: Invalid value for minute: 61',
    ],
    [
      "hour 25",
      { cron: "0 25 * * *" },
      'schedule "nightly": invalid cron expression "0 25 * * *": CronPattern: Invalid value for hour: 25',
    ],
    [
      "letters",
      { cron: "a b c d e" },
      'schedule "nightly": invalid cron expression "a b c d e": CronPattern: configuration entry 1 (a) contains illegal characters.',
    ],
    [
      "unknown time zone",
      { cron: "0 9 * * *", timezone: "Mars/Olympus" },
      'schedule "nightly": unknown time zone "Mars/Olympus" (use an IANA name such as Europe/Berlin)',
    ],
    [
      "time zone on an interval",
      { every: "1m", timezone: "Europe/Berlin" },
      'schedule "nightly": timezone applies only to cron schedules',
    ],
    [
      "every below 100ms",
      { every: "50ms" },
      'schedule "nightly": every "50ms" is shorter than the 100ms minimum',
    ],
    ["every 99 (ms)", { every: 99 }, 'schedule "nightly": every "99" is shorter than the 100ms minimum'],
    [
      "every not a duration",
      { every: "abc" },
      'schedule "nightly": every: "abc" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    [
      "every negative",
      { every: "-5s" },
      'schedule "nightly": every: "-5s" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    [
      "at garbage",
      { at: "next tuesday-ish" },
      'schedule "nightly": at "next tuesday-ish" is not a valid instant',
    ],
    ["at invalid Date", { at: new Date(Number.NaN) }, 'schedule "nightly": at null is not a valid instant'],
    [
      "at past what stores and Date hold",
      { at: 1e20 },
      'schedule "nightly": at 100000000000000000000 is out of range: from 1970-01-01 to 9999-12-31 (epoch ms 0 to 253402300799999)',
    ],
    ["at an object", { at: {} as unknown as string }, 'schedule "nightly": at {} is not a valid instant'],
    [
      "cron a number",
      { cron: 123 as unknown as string },
      'schedule "nightly": cron must be a cron expression string such as "0 9 * * *", got 123',
    ],
    [
      "cron null",
      { cron: null as unknown as string },
      'schedule "nightly": cron must be a cron expression string such as "0 9 * * *", got null',
    ],
    [
      "timezone a number",
      { cron: "0 9 * * *", timezone: 1 as unknown as string },
      'schedule "nightly": timezone must be an IANA name such as "Europe/Berlin", got 1',
    ],
    [
      "every an object",
      { every: {} as unknown as string },
      'schedule "nightly": every: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "every past 100 years",
      { every: "99999999d" },
      'schedule "nightly": every: "99999999d" is too long: at most 3153600000000ms (about 36500 days)',
    ],
  ];
  for (const [label, option, message] of cases) {
    it(label, () => {
      assert.throws(
        () => parseTrigger(option, "nightly"),
        (error: unknown) => {
          assert.ok(error instanceof InvalidScheduleError);
          assert.equal(error.code, "INVALID_SCHEDULE");
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }
});

describe("nextFireAt", () => {
  describe("every: aligned to the Unix epoch", () => {
    const every30s: Trigger = { kind: "every", intervalMs: 30_000 };
    const cases: [after: string, expected: string][] = [
      ["2030-01-01T12:00:00.000Z", "2030-01-01T12:00:30.000Z"], // strictly after
      ["2030-01-01T12:00:00.001Z", "2030-01-01T12:00:30.000Z"],
      ["2030-01-01T12:00:29.999Z", "2030-01-01T12:00:30.000Z"],
      ["2030-01-01T12:00:30.000Z", "2030-01-01T12:01:00.000Z"],
      ["2030-01-01T12:00:17.123Z", "2030-01-01T12:00:30.000Z"],
    ];
    for (const [after, expected] of cases) {
      it(`every 30s after ${after} → ${expected}`, () => {
        assert.equal(iso(nextFireAt(every30s, utc(after))!), expected);
      });
    }

    it("every 7s lands on multiples of 7000 since the epoch, whatever the start", () => {
      const times = previewFireTimes(
        { kind: "every", intervalMs: 7_000 },
        utc("2030-01-01T12:00:00.500Z"),
        5,
      );
      for (const t of times) assert.equal(t % 7_000, 0);
      assert.deepEqual(
        times.slice(1).map((t, i) => t - times[i]!),
        [7_000, 7_000, 7_000, 7_000],
      );
    });

    it("every 1d fires at UTC midnight", () => {
      assert.equal(
        iso(nextFireAt({ kind: "every", intervalMs: 86_400_000 }, utc("2030-01-01T12:00:00Z"))!),
        "2030-01-02T00:00:00.000Z",
      );
    });
  });

  describe("at: once, then done", () => {
    const at: Trigger = { kind: "at", at: utc("2030-01-01T12:00:00Z") };
    const cases: [after: string, expected: string | null][] = [
      ["2029-12-31T00:00:00.000Z", "2030-01-01T12:00:00.000Z"],
      ["2030-01-01T11:59:59.999Z", "2030-01-01T12:00:00.000Z"],
      ["2030-01-01T12:00:00.000Z", null],
      ["2030-01-02T00:00:00.000Z", null],
    ];
    for (const [after, expected] of cases) {
      it(`after ${after} → ${expected}`, () => {
        const next = nextFireAt(at, utc(after));
        assert.equal(next === null ? null : iso(next), expected);
      });
    }

    it("previews a single fire time", () => {
      assert.deepEqual(previewFireTimes(at, utc("2029-01-01T00:00:00Z"), 5), [utc("2030-01-01T12:00:00Z")]);
    });
  });

  describe("cron", () => {
    const cases: [expression: string, timezone: string, after: string, expected: string[]][] = [
      [
        "*/15 * * * *",
        "UTC",
        "2030-01-01T12:07:00Z",
        ["2030-01-01T12:15:00.000Z", "2030-01-01T12:30:00.000Z", "2030-01-01T12:45:00.000Z"],
      ],
      // strictly after: a cursor on a fire time moves to the next one
      ["0 * * * *", "UTC", "2030-01-01T12:00:00Z", ["2030-01-01T13:00:00.000Z", "2030-01-01T14:00:00.000Z"]],
      // 2030-01-01 is a Tuesday
      [
        "0 9 * * 1-5",
        "UTC",
        "2030-01-03T10:00:00Z",
        ["2030-01-04T09:00:00.000Z", "2030-01-07T09:00:00.000Z"],
      ],
      [
        "0 9 * * *",
        "Europe/Berlin",
        "2030-01-01T00:00:00Z",
        ["2030-01-01T08:00:00.000Z", "2030-01-02T08:00:00.000Z"],
      ],
      [
        "0 9 * * *",
        "Europe/Berlin",
        "2030-07-01T00:00:00Z",
        ["2030-07-01T07:00:00.000Z", "2030-07-02T07:00:00.000Z"],
      ],
      [
        "0 9 * * *",
        "America/New_York",
        "2030-01-01T00:00:00Z",
        ["2030-01-01T14:00:00.000Z", "2030-01-02T14:00:00.000Z"],
      ],
      // day-of-month OR day-of-week (Vixie cron): the 1st and every Monday
      ["0 0 1 * 1", "UTC", "2030-01-01T00:00:00Z", ["2030-01-07T00:00:00.000Z", "2030-01-14T00:00:00.000Z"]],
      // 6 fields: leading seconds
      [
        "*/20 * * * * *",
        "UTC",
        "2030-01-01T12:00:05Z",
        ["2030-01-01T12:00:20.000Z", "2030-01-01T12:00:40.000Z", "2030-01-01T12:01:00.000Z"],
      ],
      [
        "30 15 10 * * *",
        "UTC",
        "2030-01-01T00:00:00Z",
        ["2030-01-01T10:15:30.000Z", "2030-01-02T10:15:30.000Z"],
      ],
    ];
    for (const [expression, timezone, after, expected] of cases) {
      it(`"${expression}" (${timezone}) after ${after}`, () => {
        const trigger = parseTrigger({ cron: expression, timezone }, "t");
        assert.deepEqual(previewFireTimes(trigger, utc(after), expected.length).map(iso), expected);
      });
    }

    it("a date that never comes (Feb 30) is rejected at definition: it would never fire", () => {
      assert.throws(() => parseTrigger({ cron: "0 0 30 2 *" }, "t"), /"0 0 30 2 \*".*never fire/);
    });
  });
});

/*
 * DST. What croner 11 does (verified here, asserted below):
 * - spring forward: a wall-clock time inside the gap (02:30 when clocks jump 02:00 → 03:00) fires
 *   once that day, at the first valid instant after the gap, 03:00 local — NOT 03:30 (the doc
 *   comment on nextFireAt in src/core/triggers.ts says "shifted by the gap (03:30)"; it is 03:00).
 * - fall back: a wall-clock time that occurs twice fires once, at its first occurrence
 *   (summer-time offset); the second occurrence is skipped.
 * - "0 * * * *" keeps real-time hourly spacing through both transitions.
 */
describe("firstFireAt", () => {
  const at = { kind: "at", at: 1_000_000 } as const;
  it("an at time still ahead is the first fire", () => {
    assert.equal(firstFireAt(at, 60_000, 999_000), 1_000_000);
  });
  it("an at time passed within the grace still fires, late (a slow start must not lose it)", () => {
    assert.equal(firstFireAt(at, 60_000, 1_000_000), 1_000_000);
    assert.equal(firstFireAt(at, 60_000, 1_060_000), 1_000_000);
  });
  it("an at time passed longer ago than the grace never fires", () => {
    assert.equal(firstFireAt(at, 60_000, 1_060_001), null);
  });
  it("every and cron triggers start after now, as nextFireAt", () => {
    assert.equal(firstFireAt({ kind: "every", intervalMs: 1_000 }, 60_000, 5_500), 6_000);
  });
});

describe("DST, spring forward", () => {
  const cases: [timezone: string, day: string, after: string, expected: string][] = [
    ["Europe/Berlin", "2026-03-29", "2026-03-27T12:00:00Z", "2026-03-29 03:00 +02:00"],
    ["America/New_York", "2026-03-08", "2026-03-06T12:00:00Z", "2026-03-08 03:00 -04:00"],
  ];
  for (const [timezone, day, after, expected] of cases) {
    it(`${timezone} ${day}: "30 2 * * *" fires exactly once, at ${expected}`, () => {
      const times = previewFireTimes(cron("30 2 * * *", timezone), utc(after), 5);
      assert.deepEqual(firesOnLocalDate(times, timezone, day), [expected]);
      // and the days around it are untouched
      const dayBefore = firesOnLocalDate(
        times,
        timezone,
        new Date(utc(day) - 86_400_000).toISOString().slice(0, 10),
      );
      const dayAfter = firesOnLocalDate(
        times,
        timezone,
        new Date(utc(day) + 86_400_000).toISOString().slice(0, 10),
      );
      assert.equal(dayBefore.length, 1);
      assert.match(dayBefore[0]!, / 02:30 /);
      assert.equal(dayAfter.length, 1);
      assert.match(dayAfter[0]!, / 02:30 /);
    });
  }

  it('Europe/Berlin: 6-field "0 30 2 * * *" behaves the same', () => {
    const times = previewFireTimes(cron("0 30 2 * * *", "Europe/Berlin"), utc("2026-03-28T12:00:00Z"), 2);
    assert.deepEqual(times.map(iso), ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
  });

  it("Europe/Berlin: a cursor inside the gap still fires once, at 03:00", () => {
    const trigger = cron("30 2 * * *", "Europe/Berlin");
    // 00:59 UTC = 01:59 CET, one minute before the jump
    assert.equal(iso(nextFireAt(trigger, utc("2026-03-29T00:59:00Z"))!), "2026-03-29T01:00:00.000Z");
    assert.equal(iso(nextFireAt(trigger, utc("2026-03-29T01:00:00Z"))!), "2026-03-30T00:30:00.000Z");
  });

  it("Europe/Berlin preview across the transition", () => {
    assert.deepEqual(preview(cron("30 2 * * *", "Europe/Berlin"), "2026-03-27T12:00:00Z", 4), [
      "2026-03-28T01:30:00.000Z  2026-03-28 02:30 +01:00",
      "2026-03-29T01:00:00.000Z  2026-03-29 03:00 +02:00",
      "2026-03-30T00:30:00.000Z  2026-03-30 02:30 +02:00",
      "2026-03-31T00:30:00.000Z  2026-03-31 02:30 +02:00",
    ]);
  });

  it("America/New_York preview across the transition", () => {
    assert.deepEqual(preview(cron("30 2 * * *", "America/New_York"), "2026-03-06T12:00:00Z", 4), [
      "2026-03-07T07:30:00.000Z  2026-03-07 02:30 -05:00",
      "2026-03-08T07:00:00.000Z  2026-03-08 03:00 -04:00",
      "2026-03-09T06:30:00.000Z  2026-03-09 02:30 -04:00",
      "2026-03-10T06:30:00.000Z  2026-03-10 02:30 -04:00",
    ]);
  });
});

describe("DST, fall back", () => {
  const cases: [timezone: string, expression: string, day: string, after: string, expected: string][] = [
    ["Europe/Berlin", "30 2 * * *", "2026-10-25", "2026-10-23T12:00:00Z", "2026-10-25 02:30 +02:00"],
    ["America/New_York", "30 1 * * *", "2026-11-01", "2026-10-30T12:00:00Z", "2026-11-01 01:30 -04:00"],
  ];
  for (const [timezone, expression, day, after, expected] of cases) {
    it(`${timezone} ${day}: "${expression}" fires exactly once, at its first occurrence ${expected}`, () => {
      const times = previewFireTimes(cron(expression, timezone), utc(after), 5);
      assert.deepEqual(firesOnLocalDate(times, timezone, day), [expected]);
      // consecutive fires are a day apart in wall-clock terms: 24 h, 25 h (the long day), 24 h
      const gaps = times.slice(1).map((t, i) => (t - times[i]!) / HOUR);
      assert.deepEqual(gaps, [24, 25, 24, 24]);
    });
  }

  it("Europe/Berlin: a cursor inside the repeated hour does not fire the second 02:30", () => {
    const trigger = cron("30 2 * * *", "Europe/Berlin");
    // 00:45 UTC = 02:45 CEST (first pass); 01:10 UTC = 02:10 CET (second pass, before the second 02:30)
    for (const after of ["2026-10-25T00:45:00Z", "2026-10-25T01:10:00Z"]) {
      assert.equal(iso(nextFireAt(trigger, utc(after))!), "2026-10-26T01:30:00.000Z", `after ${after}`);
    }
  });

  it("America/New_York: a cursor inside the repeated hour does not fire the second 01:30", () => {
    const trigger = cron("30 1 * * *", "America/New_York");
    // 06:10 UTC = 01:10 EST (second pass)
    assert.equal(iso(nextFireAt(trigger, utc("2026-11-01T06:10:00Z"))!), "2026-11-02T06:30:00.000Z");
  });

  it("Europe/Berlin preview across the transition", () => {
    assert.deepEqual(preview(cron("30 2 * * *", "Europe/Berlin"), "2026-10-23T12:00:00Z", 4), [
      "2026-10-24T00:30:00.000Z  2026-10-24 02:30 +02:00",
      "2026-10-25T00:30:00.000Z  2026-10-25 02:30 +02:00",
      "2026-10-26T01:30:00.000Z  2026-10-26 02:30 +01:00",
      "2026-10-27T01:30:00.000Z  2026-10-27 02:30 +01:00",
    ]);
  });

  it("America/New_York preview across the transition", () => {
    assert.deepEqual(preview(cron("30 1 * * *", "America/New_York"), "2026-10-30T12:00:00Z", 4), [
      "2026-10-31T05:30:00.000Z  2026-10-31 01:30 -04:00",
      "2026-11-01T05:30:00.000Z  2026-11-01 01:30 -04:00",
      "2026-11-02T06:30:00.000Z  2026-11-02 01:30 -05:00",
      "2026-11-03T06:30:00.000Z  2026-11-03 01:30 -05:00",
    ]);
  });
});

describe('DST, "0 * * * *" keeps real-time hourly spacing', () => {
  const cases: [label: string, timezone: string, after: string, expected: string[]][] = [
    [
      "Europe/Berlin spring forward (02:00 does not exist)",
      "Europe/Berlin",
      "2026-03-28T23:30:00Z",
      [
        "2026-03-29T00:00:00.000Z  2026-03-29 01:00 +01:00",
        "2026-03-29T01:00:00.000Z  2026-03-29 03:00 +02:00",
        "2026-03-29T02:00:00.000Z  2026-03-29 04:00 +02:00",
        "2026-03-29T03:00:00.000Z  2026-03-29 05:00 +02:00",
      ],
    ],
    [
      "Europe/Berlin fall back (02:00 happens twice)",
      "Europe/Berlin",
      "2026-10-24T22:30:00Z",
      [
        "2026-10-24T23:00:00.000Z  2026-10-25 01:00 +02:00",
        "2026-10-25T00:00:00.000Z  2026-10-25 02:00 +02:00",
        "2026-10-25T01:00:00.000Z  2026-10-25 02:00 +01:00",
        "2026-10-25T02:00:00.000Z  2026-10-25 03:00 +01:00",
        "2026-10-25T03:00:00.000Z  2026-10-25 04:00 +01:00",
      ],
    ],
    [
      "America/New_York spring forward (02:00 does not exist)",
      "America/New_York",
      "2026-03-08T05:30:00Z",
      [
        "2026-03-08T06:00:00.000Z  2026-03-08 01:00 -05:00",
        "2026-03-08T07:00:00.000Z  2026-03-08 03:00 -04:00",
        "2026-03-08T08:00:00.000Z  2026-03-08 04:00 -04:00",
        "2026-03-08T09:00:00.000Z  2026-03-08 05:00 -04:00",
      ],
    ],
    [
      "America/New_York fall back (01:00 happens twice)",
      "America/New_York",
      "2026-11-01T04:30:00Z",
      [
        "2026-11-01T05:00:00.000Z  2026-11-01 01:00 -04:00",
        "2026-11-01T06:00:00.000Z  2026-11-01 01:00 -05:00",
        "2026-11-01T07:00:00.000Z  2026-11-01 02:00 -05:00",
        "2026-11-01T08:00:00.000Z  2026-11-01 03:00 -05:00",
        "2026-11-01T09:00:00.000Z  2026-11-01 04:00 -05:00",
      ],
    ],
  ];
  for (const [label, timezone, after, expected] of cases) {
    it(label, () => {
      const lines = preview(cron("0 * * * *", timezone), after, expected.length);
      assert.deepEqual(lines, expected);
      const times = previewFireTimes(cron("0 * * * *", timezone), utc(after), expected.length);
      assert.deepEqual(
        times.slice(1).map((t, i) => t - times[i]!),
        Array(expected.length - 1).fill(HOUR),
      );
    });
  }

  it("over both transition days the count is 23 and 25 fires, one per real hour", () => {
    for (const [timezone, start, hours] of [
      ["Europe/Berlin", "2026-03-28T23:00:00Z", 23], // 2026-03-29 00:00 CET → 2026-03-30 00:00 CEST
      ["Europe/Berlin", "2026-10-24T22:00:00Z", 25], // 2026-10-25 00:00 CEST → 2026-10-26 00:00 CET
      ["America/New_York", "2026-03-08T05:00:00Z", 23],
      ["America/New_York", "2026-11-01T04:00:00Z", 25],
    ] as const) {
      const times = previewFireTimes(cron("0 * * * *", timezone), utc(start) - 1, 30);
      const day = local(utc(start), timezone).slice(0, 10);
      const onDay = firesOnLocalDate(times, timezone, day);
      assert.equal(onDay.length, hours, `${timezone} ${day}`);
      // wall-clock labels without the offset: the repeated hour shows up twice, nothing else does
      const wallClock = onDay.map((text) => text.slice(0, 16));
      assert.equal(
        new Set(wallClock).size,
        hours === 25 ? 24 : 23,
        `${timezone} ${day}: distinct wall-clock hours`,
      );
    }
  });
});

describe("describeTrigger", () => {
  const cases: [trigger: Trigger, expected: string][] = [
    [{ kind: "cron", expression: "0 9 * * *", timezone: "UTC" }, "cron 0 9 * * *"],
    [{ kind: "cron", expression: "0 9 * * *", timezone: "Europe/Berlin" }, "cron 0 9 * * * (Europe/Berlin)"],
    [{ kind: "every", intervalMs: 30_000 }, "every 30s"],
    [{ kind: "at", at: utc("2030-01-01T12:00:00Z") }, "at 2030-01-01T12:00:00.000Z"],
  ];
  for (const [trigger, expected] of cases) {
    it(expected, () => {
      assert.equal(describeTrigger(trigger), expected);
    });
  }
});

describe("latestFireAt: the period an instant falls in (the heartbeat's and the scheduler's shared key)", () => {
  const T = Date.UTC(2030, 0, 1, 12, 0, 0);
  it("every: the interval boundary at or before the instant", () => {
    assert.equal(latestFireAt({ kind: "every", intervalMs: 30_000 }, T + 29_999), T);
    assert.equal(latestFireAt({ kind: "every", intervalMs: 30_000 }, T + 30_000), T + 30_000);
  });
  it("cron: the last fire at or before the instant, an exact fire time included", () => {
    const hourly = { kind: "cron", expression: "0 * * * *", timezone: "UTC" } as const;
    assert.equal(latestFireAt(hourly, T), T);
    assert.equal(latestFireAt(hourly, T + 3_599_999), T);
    assert.equal(latestFireAt(hourly, T - 1), T - 3_600_000);
  });
  it("at: the instant once passed, null before", () => {
    assert.equal(latestFireAt({ kind: "at", at: T }, T - 1), null);
    assert.equal(latestFireAt({ kind: "at", at: T }, T + 5), T);
  });
});
