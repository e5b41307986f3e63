import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DashboardSessions } from "../../src/sessions.ts";
import type { SessionRow } from "../../src/store/ports/rows.ts";
import type { Store } from "../../src/store/store.ts";
import { freshHarnessPerTest, type StoreHarness } from "./store-contract.ts";

const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;

const row = (overrides: Partial<SessionRow> = {}): SessionRow => ({
  key: "a".repeat(64),
  csrf: "csrf-token",
  createdAt: T0,
  lastSeenAt: T0,
  flash: null,
  ...overrides,
});
const nothingExpired = { idleBefore: 0, createdBefore: 0 };

/** store.sessions (ports/session-store.ts) and queries.getSession, then DashboardSessions on top. */
export function runSessionStoreContract(
  name: string,
  makeHarness: () => Promise<StoreHarness | undefined>,
): void {
  describe(`session store contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    let store: Store;
    freshHarnessPerTest(makeHarness, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    it("stores a session and reads it back by key; another store on the database sees it too", async () => {
      await store.sessions.createSession(row({ flash: '{"kind":"ok","text":"hi"}' }), nothingExpired);
      assert.deepEqual(
        await store.queries.getSession("a".repeat(64)),
        row({ flash: '{"kind":"ok","text":"hi"}' }),
      );
      assert.equal(await store.queries.getSession("b".repeat(64)), null);
      const other = await h!.openAnother();
      assert.equal((await other.queries.getSession("a".repeat(64)))?.csrf, "csrf-token");
    });

    it("touches (never backwards), sets and clears the flash, deletes", async () => {
      const key = "c".repeat(64);
      await store.sessions.createSession(row({ key }), nothingExpired);
      await store.sessions.touchSession(key, T0 + 5_000);
      await store.sessions.touchSession(key, T0 + 1_000);
      assert.equal((await store.queries.getSession(key))?.lastSeenAt, T0 + 5_000);
      await store.sessions.setSessionFlash(key, '{"kind":"error","text":"no"}');
      assert.equal((await store.queries.getSession(key))?.flash, '{"kind":"error","text":"no"}');
      await store.sessions.setSessionFlash(key, null);
      assert.equal((await store.queries.getSession(key))?.flash, null);
      await store.sessions.deleteSession(key);
      assert.equal(await store.queries.getSession(key), null);
      // On a key that does not exist: nothing, and no error.
      await store.sessions.touchSession(key, T0);
      await store.sessions.deleteSession(key);
    });

    it("a new session sweeps the expired ones (idle too long, or too old) and keeps the live", async () => {
      await store.sessions.createSession(
        row({ key: "1".repeat(64), lastSeenAt: T0 - 3 * HOUR }),
        nothingExpired,
      );
      await store.sessions.createSession(
        row({ key: "2".repeat(64), createdAt: T0 - 13 * HOUR, lastSeenAt: T0 }),
        nothingExpired,
      );
      await store.sessions.createSession(row({ key: "3".repeat(64), lastSeenAt: T0 - HOUR }), nothingExpired);
      await store.sessions.createSession(row({ key: "4".repeat(64) }), {
        idleBefore: T0 - 2 * HOUR,
        createdBefore: T0 - 12 * HOUR,
      });
      const alive = [];
      for (const d of "1234") if (await store.queries.getSession(d.repeat(64))) alive.push(d);
      assert.deepEqual(alive, ["3", "4"]);
    });

    it("DashboardSessions: a cookie opens its session on every process; logout ends it everywhere; limits hold", async () => {
      let now = T0;
      const here = new DashboardSessions(store, () => now, { idleMs: 1_000, maxMs: 5_000 });
      const there = new DashboardSessions(await h!.openAnother(), () => now, { idleMs: 1_000, maxMs: 5_000 });
      const { id, session } = await here.create();
      assert.match(id, /^[A-Za-z0-9_-]{43}$/, "32 bytes in base64url");
      assert.notEqual(session.key, id, "stored by digest, never by the cookie value");
      assert.equal((await store.queries.getSession(id)) ?? null, null);
      assert.equal((await there.get(id))?.csrf, session.csrf, "another replica accepts the cookie");
      for (const bad of [undefined, "", "x", "a".repeat(43), "a".repeat(44), "../../etc/passwd"]) {
        assert.equal(await there.get(bad), null, String(bad));
      }
      session.flash = { kind: "ok", text: "x".repeat(2_000) };
      await here.saveFlash(session);
      const seen = await there.get(id);
      assert.deepEqual(seen?.flash, { kind: "ok", text: "x".repeat(500) }, "flash kept, bounded");
      await there.destroy(seen!);
      assert.equal(await here.get(id), null, "logged out on one replica: refused on the other");

      const idle = await here.create();
      now += 1_001;
      assert.equal(await there.get(idle.id), null, "idle too long");
      const busy = await here.create();
      for (let i = 0; i < 5; i++) {
        now += 900;
        assert.ok(await there.get(busy.id), `still alive after ${i + 1} uses`);
      }
      now += 900; // 5.4 s after creation: past the absolute limit although used 900 ms ago
      assert.equal(await here.get(busy.id), null);
    });
  });
}
