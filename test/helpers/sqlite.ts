import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";

/** A fresh temp directory removed by `cleanup()`. */
export function tempDir(prefix = "tickflow-test-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A migrated SQLite store on a temp file (not :memory:, so WAL and locking are real). */
export async function createTestSqliteStore(): Promise<{
  store: SqliteStore;
  file: string;
  openAnother(): Promise<SqliteStore>;
  cleanup(): Promise<void>;
}> {
  const { dir, cleanup } = tempDir();
  const file = join(dir, "tickflow.db");
  const store = new SqliteStore(file);
  await store.migrate();
  const others: SqliteStore[] = [];
  return {
    store,
    file,
    async openAnother() {
      const other = new SqliteStore(file);
      others.push(other);
      return other;
    },
    async cleanup() {
      for (const s of [store, ...others]) await s.close();
      cleanup();
    },
  };
}
