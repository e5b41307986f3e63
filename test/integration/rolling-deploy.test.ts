import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createTestPgStore, pgRequired, pgSkipReason } from "../helpers/pg.ts";
import { type ServiceProcess, spawnTickflow } from "../helpers/process.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const skipReason = pgSkipReason();
if (skipReason && !pgRequired) console.log(`postgres rolling-deploy tests skipped: ${skipReason}`);
/** The 2-minute run; without TICKFLOW_TEST_SLOW=1 the same scenario runs for 20 s. */
const slow = process.env.TICKFLOW_TEST_SLOW === "1";

interface Logged {
  version: "a" | "b";
  msg: string;
  schedules?: string[];
}

/**
 * Code versions A and B of test/fixtures/runtime-schedules.config.ts side by side on one
 * PostgreSQL database, as in a rolling deploy: A runs first, then B's processes start beside
 * A's, and A's processes restart while B is live.
 */
async function rollingDeploy(durationMs: number, restartEveryMs: number) {
  const h = await createTestPgStore();
  const env = (version: "a" | "b") => ({
    TICKFLOW_DATABASE_URL: h.url,
    TICKFLOW_PG_SCHEMA: h.schema,
    TICKFLOW_TEST_CODE_VERSION: version,
    TICKFLOW_POLL_INTERVAL: "200ms",
  });
  const all: { version: "a" | "b"; p: ServiceProcess }[] = [];
  /** A processes started while B was live for certain (the restarts): each must say B is newer. */
  const restarted: ServiceProcess[] = [];
  const spawn = async (version: "a" | "b") => {
    const p = spawnTickflow(["start", "-c", "test/fixtures/runtime-schedules.config.ts"], env(version));
    all.push({ version, p });
    await waitFor(
      () => p.output().includes("tickflow start started"),
      `a version ${version} process`,
      60_000,
    );
    return p;
  };
  try {
    let a1 = await spawn("a");
    await Promise.all([spawn("a"), spawn("b"), spawn("b")]);
    const end = Date.now() + durationMs;
    while (Date.now() < end) {
      await sleep(Math.min(restartEveryMs, Math.max(0, end - Date.now())));
      if (Date.now() >= end) break;
      // A rolling restart of an A process while B is live: it must not undo B's schedules.
      a1.child.kill("SIGTERM");
      assert.equal(await a1.exited, 0);
      a1 = await spawn("a");
      restarted.push(a1);
    }
    const stored = await h.store.queries.listSchedules();
    const deploys = await h.store.queries.listScheduleDeploys();
    for (const { p } of all) p.child.kill("SIGTERM");
    const codes = await Promise.all(all.map(({ p }) => p.exited));
    const logged: Logged[] = all.flatMap(({ version, p }) =>
      p
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => ({ version, ...(JSON.parse(line) as { msg: string; schedules?: string[] }) })),
    );
    const olderSaid = restarted.map(
      (p) =>
        p.output().match(/a newer code version \([0-9a-f]+, version 2\) declares the schedules/g)?.length ??
        0,
    );
    return { stored, deploys, codes, logged, olderSaid, cleanup: () => h.cleanup() };
  } catch (error) {
    for (const { p } of all) p.child.kill("SIGKILL");
    await h.cleanup();
    throw error;
  }
}

describe("rolling deploys on PostgreSQL (real processes)", { skip: pgRequired ? false : skipReason }, () => {
  it(`code versions A and B side by side for ${slow ? "2 minutes" : "20 s"}: no flapping, none of B's removed by A`, {
    timeout: slow ? 300_000 : 120_000,
  }, async () => {
    if (skipReason) assert.fail(skipReason);
    const run = await rollingDeploy(slow ? 120_000 : 20_000, slow ? 20_000 : 8_000);
    try {
      assert.ok(
        run.codes.every((c) => c === 0),
        `every process stopped cleanly: ${run.codes}`,
      );
      const count = (msg: string, key: string, version?: "a" | "b") =>
        run.logged.filter(
          (l) =>
            l.msg.startsWith(msg) &&
            l.schedules?.includes(key) &&
            (version === undefined || l.version === version),
        ).length;
      for (const key of ["shared", "only-a", "only-b"]) {
        assert.ok(count("schedules created", key) <= 1, `${key} created at most once`);
        assert.ok(count("schedules removed", key) <= 1, `${key} removed at most once`);
      }
      assert.equal(count("schedules created", "only-b", "b"), 1, "B created its schedule");
      assert.equal(count("schedules removed", "only-a", "b"), 1, "B, the newest, removed A's");
      for (const key of ["shared", "only-b"])
        assert.equal(count("schedules removed", key, "a"), 0, `A removed none of B's`);
      assert.equal(count("schedules updated", "shared", "a"), 0, "A changed none of B's");
      // Each A process restarted while B was live said so, once.
      assert.ok(run.olderSaid.length >= 1, "A was restarted during the run");
      assert.deepEqual(
        run.olderSaid,
        run.olderSaid.map(() => 1),
      );
      // What B declares is what is stored.
      const byKey = new Map(run.stored.map((s) => [s.id, s]));
      assert.deepEqual([...byKey.keys()].sort(), ["only-b", "shared"]);
      assert.deepEqual(byKey.get("shared")?.trigger, { kind: "every", intervalMs: 1_800_000 });
      assert.deepEqual(
        run.deploys.map((d) => [d.version, d.scheduleKeys]),
        [
          [2, ["only-b", "shared"]],
          [1, ["only-a", "shared"]],
        ],
      );
      assert.equal(byKey.get("only-b")?.declaredBy, run.deploys[0]?.codeHash);
    } finally {
      await run.cleanup();
    }
  });
});
