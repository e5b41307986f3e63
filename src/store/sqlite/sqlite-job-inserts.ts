import type { InsertResult, JobInsert } from "../ports/job-store.ts";
import type { SqliteDeps } from "./sqlite-deps.ts";
import { insertJobsStatement, pushInsertJobValues, unfinishedState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const UNFINISHED = unfinishedState();
/** The dedupe, as a set: a keyed row whose key an unfinished job holds is skipped, the rest go in. */
const DEDUPE = `ON CONFLICT (key) WHERE key IS NOT NULL AND ${UNFINISHED} DO NOTHING`;
const insertChunk = (rows: number, keyed: boolean) =>
  `${insertJobsStatement(rows)} ${keyed ? `${DEDUPE} RETURNING id, key` : "RETURNING id"}`;
const EXISTING_BY_KEY = `SELECT id FROM jobs WHERE key = ? AND ${UNFINISHED}`;

/**
 * Most rows per statement: 12 values a row, far below SQLite's 32 766 variables. A batch goes in
 * equal chunks of at most this many (1 000 jobs: two of 500), so the usual batch sizes compile one
 * statement shape each, cached; a statement of 6 000 values takes milliseconds to prepare.
 */
const MAX_CHUNK = 500;

/**
 * Inserts a batch with one multi-row INSERT per chunk, inside the caller's write transaction.
 * Without a key nothing can conflict: the statement has no dedupe clause, whose speculative
 * insertion costs every row. RETURNING comes back in no promised order, but SQLite gives the rows
 * of one statement increasing ids in VALUES order; sorted by id, the returned rows are the
 * inserted inputs in order, which ties each input to its result. A keyed input is a duplicate when
 * its key was taken earlier in the batch or is held by an unfinished job already stored.
 */
export function insertJobsInSets(deps: SqliteDeps, jobs: readonly JobInsert[], now: number): InsertResult[] {
  const results: InsertResult[] = [];
  const takenInBatch = new Map<string, string>();
  const chunks = Math.ceil(jobs.length / MAX_CHUNK);
  const size = Math.ceil(jobs.length / chunks);
  for (let offset = 0; offset < jobs.length; ) {
    const rows = Math.min(size, jobs.length - offset);
    const chunk = jobs.slice(offset, offset + rows);
    const keyed = chunk.some((j) => j.key !== null);
    const params: unknown[] = [];
    for (const job of chunk) pushInsertJobValues(params, job, now);
    const inserted = deps.stmt(insertChunk(rows, keyed)).all(...params) as {
      id: number;
      key?: string | null;
    }[];
    inserted.sort((a, b) => a.id - b.id);
    let next = 0;
    for (const job of chunk) {
      const row = inserted[next];
      if (job.key === null) {
        if (row === undefined) throw new Error("insertJobsInSets: an unkeyed job was not inserted");
        results.push({ id: String(row.id), status: "inserted" });
        next++;
        continue;
      }
      const taken = takenInBatch.get(job.key);
      if (taken === undefined && row?.key === job.key) {
        const id = String(row.id);
        takenInBatch.set(job.key, id);
        results.push({ id, status: "inserted" });
        next++;
        continue;
      }
      const id = taken ?? String((deps.stmt(EXISTING_BY_KEY).get(job.key) as { id: number }).id);
      results.push({ id, status: "duplicate" });
    }
    offset += rows;
  }
  return results;
}
