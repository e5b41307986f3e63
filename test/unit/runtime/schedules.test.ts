import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidPayloadError, InvalidScheduleError } from "../../../src/errors.ts";
import { defineJob } from "../../../src/runtime/registry.ts";
import { defineSchedule, type ScheduleOptions } from "../../../src/runtime/schedules.ts";

const report = defineJob("report", async () => {});

describe("defineSchedule", () => {
  it("fills in the defaults: misfire latest, overlap skip, grace 1h, null payload, no tolerance or metadata", () => {
    const definition = defineSchedule({ key: "nightly", job: "report", cron: "0 3 * * *" });
    assert.deepEqual(definition, {
      key: "nightly",
      jobType: "report",
      payload: null,
      trigger: { kind: "cron", expression: "0 3 * * *", timezone: "UTC" },
      misfire: "latest",
      graceMs: 3_600_000,
      overlap: "skip",
      toleranceMs: null,
      meta: { owner: null, tenant: null, labels: {} },
      jobOptions: {
        queue: undefined,
        priority: undefined,
        maxAttempts: undefined,
        backoff: undefined,
        timeout: undefined,
      },
    });
  });

  it("validates metadata: owner, tenant, labels (names, printable values), one line naming what is wrong", () => {
    const d = defineSchedule({
      key: "m",
      job: "report",
      every: "1m",
      tolerance: "30s",
      owner: "billing@example.com",
      tenant: "acme",
      labels: { tier: "gold", "region.eu": "yes" },
    });
    assert.deepEqual(d.meta, {
      owner: "billing@example.com",
      tenant: "acme",
      labels: { "region.eu": "yes", tier: "gold" },
    });
    assert.equal(d.toleranceMs, 30_000);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ owner: "" }, /owner must be a string of 1-200 printable characters/],
      [{ tenant: "a\nb" }, /tenant must be a string/],
      [{ labels: ["x"] }, /labels must be an object/],
      [{ labels: { "bad name": "x" } }, /label name "bad name" is not valid/],
      [{ labels: { ok: 7 } }, /label "ok" must be a string/],
      [{ tolerance: "soon" }, /tolerance/],
    ];
    for (const [extra, message] of bad)
      assert.throws(
        () => defineSchedule({ key: "m", job: "report", every: "1m", ...extra } as never),
        message,
      );
  });

  it("takes the job type from a definition and keeps every option", () => {
    const definition = defineSchedule({
      key: "reports.hourly-v2",
      job: report as never,
      every: "1h",
      payload: { format: "pdf" },
      misfire: "all",
      grace: "10m",
      overlap: "allow",
      queue: "reports",
      priority: 2,
      maxAttempts: 5,
      timeout: "1m",
    });
    assert.equal(definition.jobType, "report");
    assert.deepEqual(definition.trigger, { kind: "every", intervalMs: 3_600_000 });
    assert.deepEqual(definition.payload, { format: "pdf" });
    assert.equal(definition.misfire, "all");
    assert.equal(definition.graceMs, 600_000);
    assert.equal(definition.overlap, "allow");
    assert.deepEqual(definition.jobOptions, {
      queue: "reports",
      priority: 2,
      maxAttempts: 5,
      backoff: undefined,
      timeout: "1m",
    });
  });

  for (const misfire of ["skip", "latest", "all"] as const) {
    it(`accepts misfire "${misfire}"`, () => {
      assert.equal(defineSchedule({ key: "k", job: "report", every: "1m", misfire }).misfire, misfire);
    });
  }
  for (const overlap of ["allow", "skip"] as const) {
    it(`accepts overlap "${overlap}"`, () => {
      assert.equal(defineSchedule({ key: "k", job: "report", every: "1m", overlap }).overlap, overlap);
    });
  }
});

describe("defineSchedule rejects", () => {
  const base: ScheduleOptions = { key: "nightly", job: "report", cron: "0 3 * * *" };
  const cases: [label: string, overrides: Record<string, unknown>, message: string][] = [
    [
      "a bad cron expression",
      { cron: "61 * * * *" },
      'schedule "nightly": invalid cron expression "61 * * * *": CronPattern: Invalid value for minute: 61',
    ],
    [
      "a cron with too few fields",
      { cron: "0 3 * *" },
      'schedule "nightly": cron expression "0 3 * *" has 4 fields; use 5 (minute hour day month weekday) or 6 (with leading seconds)',
    ],
    [
      "an unknown time zone",
      { timezone: "Europe/Atlantis" },
      'schedule "nightly": unknown time zone "Europe/Atlantis" (use an IANA name such as Europe/Berlin)',
    ],
    [
      "two trigger kinds",
      { every: "1m" },
      'schedule "nightly": give exactly one of cron, every or at (got cron, every)',
    ],
    [
      "a key with a space",
      { key: "bad key" },
      'invalid schedule key name "bad key": use 1-64 letters, digits, "_", "-" or "."',
    ],
    ["an empty key", { key: "" }, 'invalid schedule key name "": use 1-64 letters, digits, "_", "-" or "."'],
    [
      "a key with a slash",
      { key: "reports/nightly" },
      'invalid schedule key name "reports/nightly": use 1-64 letters, digits, "_", "-" or "."',
    ],
    [
      "an unknown option (a typo)",
      { misfre: "skip" },
      'schedule "nightly": unknown option "misfre" in defineSchedule options (did you mean "misfire"?)',
    ],
    [
      "a cron that is a number",
      { cron: 123 },
      'schedule "nightly": cron must be a cron expression string such as "0 9 * * *", got 123',
    ],
    [
      "a cron that is null",
      { cron: null },
      'schedule "nightly": cron must be a cron expression string such as "0 9 * * *", got null',
    ],
    [
      "a job timeout that is an object",
      { timeout: {} },
      'schedule "nightly": timeout: expected milliseconds or a duration such as "30s", got an object',
    ],
    [
      "an unknown misfire policy",
      { misfire: "sometimes" },
      'schedule "nightly": misfire must be one of skip, latest, all, got "sometimes"',
    ],
    [
      "an unknown overlap policy",
      { overlap: "queue" },
      'schedule "nightly": overlap must be one of allow, skip, got "queue"',
    ],
    [
      "a bad grace",
      { grace: "a while" },
      'schedule "nightly": grace: "a while" is not a duration (use e.g. "500ms", "30s", "5m", "1h", "1d")',
    ],
    ["a missing job", { job: undefined }, 'schedule "nightly": job is required'],
  ];
  for (const [label, overrides, message] of cases) {
    it(label, () => {
      assert.throws(
        () => defineSchedule({ ...base, ...overrides } as ScheduleOptions),
        (error: unknown) => {
          assert.ok(error instanceof InvalidScheduleError, `got ${String(error)}`);
          assert.equal(error.code, "INVALID_SCHEDULE");
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  it("a non-JSON payload, as an InvalidPayloadError naming the job type and path", () => {
    assert.throws(
      () => defineSchedule({ ...base, payload: { when: () => 1 } }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidPayloadError);
        assert.equal(error.message, 'job "report": payload.when is a function (not JSON)');
        return true;
      },
    );
  });
});
