import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_BACKOFF } from "../../src/core/backoff.ts";
import { InvalidOptionError, SchemaTooNewError } from "../../src/errors.ts";
import type { AttemptFinish } from "../../src/store/ports/job-store.ts";
import type { ScheduleDefinitionRow } from "../../src/store/ports/rows.ts";
import { REPLACEMENT, storableText } from "../../src/store/shared/storable-text.ts";
import { MAX_NAME_CHARS } from "../../src/store/shared/store-values.ts";
import type { Store } from "../../src/store/store.ts";
import { planFor } from "../helpers/plan.ts";
import { finish, job, type StoreHarness } from "./store-contract.ts";

/**
 * Issue 19: one bad value, row or schedule never hurts the others, on every store. `raw` runs one
 * SQL statement on the test database, `{t}` standing for the tickflow table prefix (a test
 * writes rows no tickflow code would, as a hand edit or a broken release might).
 */
export type RawSql = (statement: string) => Promise<void>;

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const LEASE = 30_000;

function failure(message: string, overrides: Partial<AttemptFinish> = {}): Partial<AttemptFinish> {
  return {
    outcome: "failed",
    next: { state: "retry_scheduled", runAt: T0 + 60_000 },
    error: { message, stack: `Error: ${message}\n    at handler` },
    ...overrides,
  };
}

function scheduleDef(id: string, overrides: Partial<ScheduleDefinitionRow> = {}): ScheduleDefinitionRow {
  return {
    id,
    jobType: "test",
    payload: "null",
    trigger: { kind: "every", intervalMs: 1_000 },
    misfire: "latest",
    graceMs: 3_600_000,
    overlap: "allow",
    jobOptions: {
      stateful: false,
      queue: "default",
      priority: 0,
      maxAttempts: 3,
      timeoutMs: null,
      backoff: JSON.stringify(DEFAULT_BACKOFF),
    },
    initialNextFireAt: T0 + 1_000,
    ...overrides,
  };
}

/** A random string with the characters stores choke on: NUL, lone surrogates, pairs, controls. */
function nastyString(random: () => number, length: number): string {
  const pieces = [
    "\u0000",
    "\uD800",
    "\uDFFF",
    "😀",
    "é",
    "\u0001",
    "'",
    '"',
    "\\",
    "\n",
    "a",
    "Z",
    "\u2028",
  ];
  let s = "";
  for (let i = 0; i < length; i++) s += pieces[Math.floor(random() * pieces.length)];
  return s;
}

/** A small seeded generator (mulberry32): failures reproduce. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runPoisonContract(
  name: string,
  harness: () => Promise<StoreHarness & { raw: RawSql }>,
): void {
  describe(`poison isolation contract: ${name}`, () => {
    let h: StoreHarness & { raw: RawSql };
    let store: Store;
    before(async () => {
      h = await harness();
      store = h.store;
    });
    after(async () => h.cleanup());

    const claimAll = async (queue: string, count: number, now = T0) => {
      const claimed = await store.jobs.claimJobs({
        workerId: "w1",
        queues: [queue],
        limit: count,
        leaseMs: LEASE,
        now,
      });
      assert.equal(claimed.length, count);
      return claimed;
    };

    describe("finish batches", () => {
      it("a NUL byte or lone surrogate in one error fails nothing: every finish applies, the text is stored", async () => {
        await store.jobs.insertJobs(
          Array.from({ length: 10 }, () => job({ queue: "nul" })),
          T0,
        );
        const claimed = await claimAll("nul", 10);
        const poison = "bad byte \u0000 at 12 and \uD800 alone";
        const results = await store.jobs.finishAttempts(
          claimed.map((c, i) => finish(c, i === 4 ? failure(poison) : {})),
        );
        assert.deepEqual(results, Array(10).fill("applied"));
        for (const [i, c] of claimed.entries()) {
          const row = await store.queries.getJob(c.id);
          assert.equal(row?.state, i === 4 ? "retry_scheduled" : "succeeded");
        }
        const [run] = await store.queries.listJobRuns(claimed[4]!.id);
        assert.equal(run?.errorMessage, `bad byte ${REPLACEMENT} at 12 and ${REPLACEMENT} alone`);
        assert.equal((await store.queries.getJob(claimed[4]!.id))?.lastError, run?.errorMessage);
      });

      it("a NaN retry time fails only its own finish, recorded discarded with a clear error", async () => {
        await store.jobs.insertJobs(
          Array.from({ length: 6 }, () => job({ queue: "nan" })),
          T0,
        );
        const claimed = await claimAll("nan", 6);
        const results = await store.jobs.finishAttempts(
          claimed.map((c, i) =>
            finish(
              c,
              i === 2
                ? failure("handler boom", { next: { state: "retry_scheduled", runAt: Number.NaN } })
                : {},
            ),
          ),
        );
        assert.deepEqual(results, Array(6).fill("applied"));
        const poison = await store.queries.getJob(claimed[2]!.id);
        assert.equal(poison?.state, "discarded");
        assert.match(
          poison?.lastError ?? "",
          /could not store this attempt's outcome as reported \(retry time NaN/,
        );
        assert.match(poison?.lastError ?? "", /the handler's error: handler boom/);
        for (const [i, c] of claimed.entries())
          if (i !== 2) assert.equal((await store.queries.getJob(c.id))?.state, "succeeded");
      });

      it("a finish the database still refuses is split out of its batch: the rest commit", async () => {
        await h.raw(REFUSE_TRIGGER[store.dialect]);
        try {
          await store.jobs.insertJobs(
            Array.from({ length: 7 }, () => job({ queue: "refused" })),
            T0,
          );
          const claimed = await claimAll("refused", 7);
          const results = await store.jobs.finishAttempts(
            claimed.map((c, i) => finish(c, i === 5 ? failure("refuse me") : failure(`ordinary ${i}`))),
          );
          assert.deepEqual(results, Array(7).fill("applied"));
          for (const [i, c] of claimed.entries()) {
            const runs = await store.queries.listJobRuns(c.id);
            assert.equal(runs.length, 1, "one run row each: nothing applied twice");
            if (i === 5)
              assert.match(runs[0]?.errorMessage ?? "", /the database refused it: .*refused.*refuse me$/s);
            else assert.equal(runs[0]?.errorMessage, `ordinary ${i}`);
            assert.equal((await store.queries.getJob(c.id))?.state, "retry_scheduled");
          }
        } finally {
          await h.raw(DROP_REFUSE_TRIGGER[store.dialect]);
        }
      });
    });

    it("every stored text field holds random strings (NUL, lone surrogates, 1 MB) and reads back", async () => {
      const random = seeded(19);
      for (let round = 0; round < 8; round++) {
        const big = round === 0 ? 1_000_000 : 40;
        const s = () => nastyString(random, big);
        // Names are indexed and bounded (MAX_NAME_CHARS); everything else takes 1 MB.
        const n = () => nastyString(random, round === 0 ? MAX_NAME_CHARS : 40).slice(0, MAX_NAME_CHARS);
        const fields = {
          type: n(),
          queue: `q${round}-${n().slice(0, 20)}`,
          key: n(),
          stateKey: n(),
          payload: s(),
        };
        const payload = JSON.stringify({ text: fields.payload });
        const [inserted] = await store.jobs.insertJobs(
          [
            job({
              type: fields.type,
              queue: fields.queue,
              key: fields.key,
              stateKey: fields.stateKey,
              payload,
            }),
          ],
          T0,
        );
        const stored = await store.queries.getJob(inserted!.id);
        assert.equal(stored?.type, storableText(fields.type));
        assert.equal(stored?.queue, storableText(fields.queue));
        assert.equal(stored?.key, storableText(fields.key));
        assert.equal(stored?.stateKey, storableText(fields.stateKey));
        assert.deepEqual(stored?.payload, { text: fields.payload }, "JSON payloads read back exactly");
        const [c] = await store.jobs.claimJobs({
          workerId: "w1",
          queues: [storableText(fields.queue)],
          limit: 1,
          leaseMs: LEASE,
          now: T0,
        });
        assert.ok(c, "the job is claimable by its stored queue name");
        const message = s();
        const stack = s();
        const state = s();
        const worker = s().slice(0, 30);
        await store.jobs.finishAttempts([
          finish(c, {
            workerId: worker,
            ...failure(message, { error: { message, stack } }),
            state: { key: c.stateKey!, json: JSON.stringify(state) },
          }),
        ]);
        const [run] = await store.queries.listJobRuns(c.id);
        assert.equal(run?.errorMessage, storableText(message, 16_384));
        assert.equal(run?.errorStack, storableText(stack, 65_536));
        assert.equal(run?.workerId, storableText(worker));
        assert.equal(
          await store.queries.loadJobState(c.stateKey!),
          state,
          "durable state reads back exactly",
        );
      }
      await assert.rejects(
        store.jobs.insertJobs([job({ key: "k".repeat(MAX_NAME_CHARS + 1) })], T0),
        (e: unknown) =>
          e instanceof InvalidOptionError && /key: 513 characters is longer than the 512/.test(e.message),
      );
      const id = nastyString(random, 30);
      const payload = JSON.stringify(nastyString(random, 50));
      await store.schedules.syncSchedules(
        [scheduleDef(id, { payload, jobType: nastyString(random, 20) })],
        T0,
      );
      const [row] = (await store.queries.listSchedules()).filter((x) => x.id === storableText(id));
      assert.equal(row?.payload, payload);
      await store.schedules.syncSchedules([], T0);
    });

    it("refuses numbers a column cannot hold with the same TickflowError on every store, writing nothing", async () => {
      for (const bad of [
        { runAt: T0 + 0.5 },
        { priority: 2 ** 40 },
        { maxAttempts: 1e12 },
        { runAt: 1e20 },
        { runAt: Number.NaN },
        { timeoutMs: Number.POSITIVE_INFINITY },
      ]) {
        await assert.rejects(
          store.jobs.insertJobs([job({ queue: "numbers" }), job({ queue: "numbers", ...bad })], T0),
          (e: unknown) =>
            e instanceof InvalidOptionError && /job 2 of 2: \w+: .*nothing was stored/.test(e.message),
          JSON.stringify(bad),
        );
      }
      assert.deepEqual(await store.queries.listJobs({ queue: "numbers" }), []);
    });

    it("released and rescued jobs keep their place: original run time and priority", async () => {
      await store.jobs.insertJobs(
        [job({ queue: "place", runAt: T0 - 5_000, priority: 3 }), job({ queue: "place", runAt: T0 - 4_000 })],
        T0,
      );
      const [first, second] = await claimAll("place", 2);
      await store.jobs.insertJobs(
        Array.from({ length: 3 }, () => job({ queue: "place", runAt: T0 - 1 })),
        T0,
      );
      assert.equal(
        await store.jobs.releaseJobs("w1", [{ jobId: first!.id, leaseToken: first!.leaseToken }], T0 + 100),
        1,
      );
      assert.equal(await store.jobs.rescueExpiredLeases(T0 + LEASE + 1), 1);
      const released = await store.queries.getJob(first!.id);
      const rescued = await store.queries.getJob(second!.id);
      assert.deepEqual([released?.state, released?.runAt, released?.priority], ["available", T0 - 5_000, 3]);
      assert.deepEqual([rescued?.state, rescued?.runAt], ["available", T0 - 4_000]);
      const next = await store.jobs.claimJobs({
        workerId: "w2",
        queues: ["place"],
        limit: 2,
        leaseMs: LEASE,
        now: T0 + LEASE + 2,
      });
      assert.deepEqual(
        next.map((c) => c.id),
        [first!.id, second!.id],
        "ahead of the jobs enqueued after them",
      );
    });

    describe("schedules", () => {
      it("one schedule that cannot be read or planned is set aside as broken; the others keep firing", async () => {
        await store.schedules.syncSchedules(
          [
            scheduleDef("good"),
            scheduleDef("bad-cron", { trigger: { kind: "cron", expression: "61 * * * *", timezone: "UTC" } }),
            scheduleDef("bad-zone", {
              trigger: { kind: "cron", expression: "* * * * *", timezone: "Mars/Olympus" },
            }),
            scheduleDef("garbage"),
          ],
          T0,
        );
        await h.raw("UPDATE {t}schedules SET trigger = 'garbage', next_fire_at = 1 WHERE id = 'garbage'");
        const broken: string[] = [];
        const fire = (now: number) =>
          store.schedules.fireDueSchedules({
            now,
            limit: 100,
            plan: planFor(now),
            onBroken: (id) => broken.push(id),
          });
        const first = await fire(T0 + 1_000);
        assert.deepEqual(
          first.map((t) => [t.scheduleId, t.decision]),
          [["good", "fired"]],
        );
        assert.deepEqual(broken.sort(), ["bad-cron", "bad-zone", "garbage"]);
        const rows = new Map((await store.queries.listSchedules()).map((s) => [s.id, s]));
        assert.equal(rows.get("good")?.broken, null);
        assert.match(rows.get("bad-cron")?.broken ?? "", /planning the next fire failed/);
        assert.match(rows.get("bad-zone")?.broken ?? "", /planning the next fire failed/);
        assert.match(rows.get("garbage")?.broken ?? "", /stored trigger is not valid JSON/);
        assert.equal(rows.get("garbage")?.trigger, null);
        assert.equal(rows.get("garbage")?.brokenAt, T0 + 1_000);
        assert.equal(
          await store.queries.nextScheduleFireAt(),
          T0 + 2_000,
          "a broken schedule is never the earliest due",
        );
        const second = await fire(T0 + 2_000);
        assert.deepEqual(
          second.map((t) => t.scheduleId),
          ["good"],
        );
        // Syncing a definition this process can plan sets it right.
        await store.schedules.syncSchedules(
          [scheduleDef("good"), scheduleDef("garbage", { initialNextFireAt: T0 + 3_000 })],
          T0 + 2_500,
        );
        const mended = await store.queries.getSchedule("garbage");
        assert.deepEqual([mended?.broken, mended?.brokenAt, mended?.nextFireAt], [null, null, T0 + 3_000]);
        await store.schedules.syncSchedules([], T0 + 2_600);
      });
    });

    it("refuses every write into a schema newer than the code, even from a store that never migrated", async () => {
      await h.raw(
        "INSERT INTO {t}tickflow_migrations (version, name, checksum, applied_at) VALUES (999, 'future', 'x', 0)",
      );
      try {
        const enqueueOnly = await h.openAnother();
        await assert.rejects(enqueueOnly.jobs.insertJobs([job({ queue: "too-new" })], T0), SchemaTooNewError);
        await assert.rejects(
          enqueueOnly.schedules.syncSchedules([scheduleDef("too-new")], T0),
          SchemaTooNewError,
        );
        await assert.rejects(enqueueOnly.jobs.rescueExpiredLeases(T0), SchemaTooNewError);
        assert.deepEqual(await enqueueOnly.queries.listJobs({ queue: "too-new" }), [], "reads still answer");
      } finally {
        await h.raw("DELETE FROM {t}tickflow_migrations WHERE version = 999");
      }
    });

    it("an undecodable row is listed marked, not failing the list", async () => {
      const [a] = await store.jobs.insertJobs([job({ queue: "undecodable" })], T0);
      await store.jobs.insertJobs([job({ queue: "undecodable" })], T0);
      await h.raw(`UPDATE {t}jobs SET payload = 'not json {' WHERE id = ${a!.id}`);
      const listed = await store.queries.listJobs({ queue: "undecodable" });
      assert.equal(listed.length, 2);
      const bad = listed.find((j) => j.id === a!.id);
      assert.equal(bad?.payload, "not json {");
      assert.match(bad?.undecodable ?? "", /payload is not valid JSON/);
      assert.equal(listed.find((j) => j.id !== a!.id)?.undecodable, null);
    });
  });
}

const REFUSE_TRIGGER = {
  sqlite: `CREATE TRIGGER refuse_poison BEFORE INSERT ON job_runs WHEN NEW.error_message = 'refuse me'
    BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END`,
  postgres: `CREATE FUNCTION {t}refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.error_message = 'refuse me' THEN
        RAISE EXCEPTION 'refused by test trigger' USING ERRCODE = '22023';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_poison BEFORE INSERT ON {t}job_runs FOR EACH ROW EXECUTE FUNCTION {t}refuse_poison()`,
};
const DROP_REFUSE_TRIGGER = {
  sqlite: "DROP TRIGGER refuse_poison",
  postgres: "DROP TRIGGER refuse_poison ON {t}job_runs; DROP FUNCTION {t}refuse_poison()",
};
