import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { httpSchema } from "../../src/config/http-schema.ts";
import { createHttpServer } from "../../src/http/server.ts";
import { registerHeartbeat } from "../../src/jobs/heartbeat.ts";
import { silentLogger } from "../../src/logger.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { Tickflow } from "../../src/tickflow.ts";
import { call, TOKEN } from "../helpers/http.ts";
import { type ServiceProcess, spawnTickflow } from "../helpers/process.ts";
import { tempDir } from "../helpers/sqlite.ts";
import { sleep, waitFor } from "../helpers/wait-for.ts";

const TIMED = /^Heartbeat \(timed\): UUID=(\S+)$/;

interface LogLine {
  msg: string;
  time: number;
  address?: string;
}

function logLines(output: string): LogLine[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

function start(file: string): ServiceProcess {
  return spawnTickflow(["start", "-c", "test/fixtures/heartbeat.config.ts"], {
    TICKFLOW_DATABASE_URL: `sqlite:${file}`,
    ENABLE_HEARTBEAT: "1",
    TICKFLOW_TOKEN: TOKEN,
  });
}

async function portOf(service: ServiceProcess): Promise<number> {
  const line = await waitFor(
    () => {
      if (service.child.exitCode !== null) throw new Error(`exited early:\n${service.output()}`);
      return logLines(service.output()).find((l) => l.msg.startsWith("HTTP listening on"));
    },
    "HTTP listening",
    20_000,
    50,
  );
  return Number(new URL(line.address!).port);
}

describe("readiness across a restart (real processes, real time; ~3 min)", () => {
  it("stays 200 through a restart with a heartbeat event pending; a scheduler stopped for good turns it red within 75 s", async () => {
    const { dir, cleanup } = tempDir();
    const file = join(dir, "tickflow.db");
    let first: ServiceProcess | undefined = start(file);
    let second: ServiceProcess | undefined;
    // Another process on the same database that judges the stored heartbeat (no scheduler of its own).
    let observer: { tickflow: Tickflow; close(): Promise<void>; port: number } | undefined;
    try {
      await portOf(first);
      const beat = await waitFor(
        () => logLines(first!.output()).find((l) => TIMED.test(l.msg)),
        "the first timed beat",
        80_000,
        100,
      );
      const minute = Math.floor(beat.time / 60_000) * 60_000;
      // Stop with the beat's event pending (due 10 s after the beat), and stay down past its time.
      first.child.kill("SIGTERM");
      assert.equal(await first.exited, 0);
      first = undefined;

      const store = new SqliteStore(file);
      const tickflow = new Tickflow(store, { logger: silentLogger }, true);
      const heartbeat = registerHeartbeat(tickflow, { enabled: true });
      await tickflow.start({ scheduler: false, worker: false });
      const app = await createHttpServer({
        tickflow,
        heartbeat,
        config: httpSchema.parse({ tokens: [TOKEN] }),
        logger: silentLogger,
      });
      await app.listen({ host: "127.0.0.1", port: 0 });
      observer = {
        tickflow,
        port: (app.server.address() as { port: number }).port,
        close: async () => {
          await app.close();
          await tickflow.stop(0);
        },
      };

      // Back at +18 s: the event (due at +10 s, limit 10 s + 5 s grace after the beat) is then late
      // by downtime whatever the start-up takes. At +14 s a fast start ran it within its limit (ok).
      await sleep(Math.max(0, minute + 18_000 - Date.now()));
      second = start(file);
      const port = await portOf(second);

      // Throughout the restart's grace and until the next pair has run: never unready.
      const statuses: { at: number; status: number; heartbeat: string }[] = [];
      const until = minute + 60_000 + 10_000 + 6_000;
      while (Date.now() < until) {
        const reply = await call(port, "GET", "/health");
        statuses.push({
          at: Date.now(),
          status: reply.status,
          heartbeat: reply.json().components?.heartbeat?.status,
        });
        await sleep(500);
      }
      const bad = statuses.filter((s) => s.status !== 200);
      assert.deepEqual(bad, [], "readiness stayed 200 through the restart");
      assert.ok(statuses.length > 60, `polled ${statuses.length} times`);
      assert.ok(
        statuses.some((s) => s.heartbeat === "interrupted"),
        `the pending pair was reported interrupted (seen: ${[...new Set(statuses.map((s) => s.heartbeat))].join(", ")})`,
      );
      assert.equal(statuses.at(-1)?.heartbeat, "ok", "the first pair after the restart is ok");
      assert.equal((await call(observer.port, "GET", "/health")).status, 200, "the observer agrees");

      // Now the only scheduler stops for good.
      second.child.kill("SIGKILL");
      await second.exited;
      second = undefined;
      const killedAt = Date.now();
      await waitFor(
        async () => (await call(observer!.port, "GET", "/health")).status === 503,
        "readiness red after the scheduler stopped",
        80_000,
        500,
      );
      const redAfter = Date.now() - killedAt;
      assert.ok(redAfter <= 75_000, `red ${redAfter} ms after the scheduler stopped (limit 75 s)`);
      const detail = (await call(observer.port, "GET", "/health")).json();
      assert.deepEqual(detail.notReady, ["heartbeat"]);
      assert.equal(detail.components.heartbeat.status, "late");
    } finally {
      first?.child.kill("SIGKILL");
      second?.child.kill("SIGKILL");
      await first?.exited;
      await second?.exited;
      await observer?.close();
      cleanup();
    }
  });
});
