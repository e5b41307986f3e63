import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TickflowError } from "../../src/errors.ts";
import { defineJob } from "../../src/runtime/registry.ts";
import type { Store } from "../../src/store/store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { createTestSqliteStore } from "../helpers/sqlite.ts";

const job = defineJob("strict.job", async () => {});

/**
 * Bad enqueue input on a real store: a TickflowError naming the option, the same on both stores
 * (PostgreSQL used to answer with raw driver errors 22P02/22003, SQLite accepted some), and
 * nothing written.
 */
const cases: [label: string, run: (t: Tickflow) => Promise<unknown>, message: RegExp][] = [
  [
    "a typo: dealy",
    (t) => t.enqueue(job, {}, { dealy: "10m" } as never),
    /unknown option "dealy" in enqueue options \(did you mean "delay"\?\)/,
  ],
  ["runAt 1e20", (t) => t.enqueue(job, {}, { runAt: 1e20 }), /runAt 100000000000000000000 is out of range/],
  ['delay "99999999d"', (t) => t.enqueue(job, {}, { delay: "99999999d" }), /delay: "99999999d" is too long/],
  [
    "priority 2**40",
    (t) => t.enqueue(job, {}, { priority: 2 ** 40 }),
    /priority must be an integer from -2147483648 to 2147483647/,
  ],
  [
    "maxAttempts 1e12",
    (t) => t.enqueue(job, {}, { maxAttempts: 1e12 }),
    /maxAttempts must be an integer from 1 to 1000000/,
  ],
  ["timeout {}", (t) => t.enqueue(job, {}, { timeout: {} as never }), /timeout: expected milliseconds/],
  ['enqueueMany("nope")', (t) => t.enqueueMany("nope" as never), /enqueueMany: expected an array/],
  [
    "a non-pg client",
    (t) => t.enqueue(job, {}, { client: { query: () => 1 } as never }),
    /client must be a pg Client or PoolClient/,
  ],
  [
    "a 20 000-deep payload",
    (t) => {
      let deep: unknown = 1;
      for (let i = 0; i < 20_000; i++) deep = [deep];
      return t.enqueue(job, deep);
    },
    /payload is nested deeper than 256 levels/,
  ],
];

function suite(
  name: string,
  open: () => Promise<{ store: Store; cleanup(): Promise<void> | void }>,
  skip: string | false,
) {
  describe(`strict enqueue on ${name}`, { skip }, () => {
    let h: { store: Store; cleanup(): Promise<void> | void };
    let tickflow: Tickflow;
    before(async () => {
      h = await open();
      tickflow = new Tickflow(h.store, { jobs: [job as never] }, false);
    });
    after(async () => h?.cleanup());

    for (const [label, run, message] of cases) {
      it(`${label}: a TickflowError naming the option, nothing written`, async () => {
        await assert.rejects(run(tickflow), (error: unknown) => {
          assert.ok(error instanceof TickflowError, `got ${String(error)}`);
          assert.match(error.message, message);
          return true;
        });
        assert.deepEqual(await h.store.queries.listJobs({ limit: 10 }), []);
      });
    }

    it("good input still enqueues", async () => {
      await tickflow.enqueue(job, {}, { delay: 30_000 });
      assert.equal((await h.store.queries.listJobs({ limit: 10 })).length, 1);
    });
  });
}

suite("SQLite", createTestSqliteStore, false);
const pgSkip = pgSkipReason();
suite("PostgreSQL", createTestPgStore, pgRequired ? false : (pgSkip ?? false));
