import Database from "better-sqlite3";

/**
 * The raw better-sqlite3 limit for tickflow's lifecycle — insert, claim (UPDATE … RETURNING),
 * complete (UPDATE) — with the same batching the worker pool uses, on the same kind of file
 * (WAL, synchronous=NORMAL), without tickflow's runtime. Our processed rate is reported as a
 * share of this.
 */
export function rawLifecycleJobsPerSecond(file: string, jobs: number, batch: number): number {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, type TEXT, queue TEXT, payload TEXT, state TEXT,
    priority INTEGER, run_at INTEGER, lease_token INTEGER DEFAULT 0, lease_expires_at INTEGER, finished_at INTEGER);
    CREATE INDEX jobs_due ON jobs (priority DESC, run_at, id) WHERE state = 'available';`);
  const insert = db.prepare(
    "INSERT INTO jobs (type, queue, payload, state, priority, run_at) VALUES ('t', 'default', '{}', 'available', 0, ?)",
  );
  const claim = db.prepare(
    `UPDATE jobs SET state = 'running', lease_token = lease_token + 1, lease_expires_at = ?
     WHERE id IN (SELECT id FROM jobs WHERE state = 'available' AND run_at <= ? ORDER BY priority DESC, run_at, id LIMIT ?)
     RETURNING id, lease_token`,
  );
  const complete = db.prepare(
    "UPDATE jobs SET state = 'succeeded', finished_at = ? WHERE id = ? AND lease_token = ?",
  );
  const started = performance.now();
  const now = Date.now();
  db.transaction(() => {
    for (let i = 0; i < jobs; i++) insert.run(now);
  })();
  const claimBatch = db.transaction(
    () => claim.all(now + 30_000, now, batch) as { id: number; lease_token: number }[],
  );
  const completeBatch = db.transaction((rows: { id: number; lease_token: number }[]) => {
    for (const row of rows) complete.run(now, row.id, row.lease_token);
  });
  for (;;) {
    const rows = claimBatch.immediate();
    if (rows.length === 0) break;
    completeBatch.immediate(rows);
  }
  const seconds = (performance.now() - started) / 1_000;
  db.close();
  return jobs / seconds;
}
