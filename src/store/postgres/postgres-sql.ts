/**
 * The SQL fragments more than one PostgreSQL aggregate file runs: the job-state lists, the hint
 * channel, the one job INSERT (and the fired-tick jobs beside it) and the flow row select. Each
 * aggregate file (postgres-jobs, -schedules, -flows, -monitors, -reads) opens with the rest of
 * the SQL it runs.
 *
 * Tables are unqualified: the pool sets `search_path` to tickflow's schema on every connection.
 * The two statements that may run on a caller's own client (transactional enqueue) are built per
 * schema instead, because that client's search_path is the caller's. Batches travel as parallel
 * arrays through `unnest(...) WITH ORDINALITY`: one statement and one round trip for any batch
 * size, and `ord` ties every result row back to its input.
 */
export const PENDING = "('scheduled', 'available', 'retry_scheduled')";

/** Job states not yet finished (the flow store's stale-run check uses it too). */
export const UNFINISHED = "('scheduled', 'available', 'running', 'retry_scheduled')";

/** The NOTIFY channel every tickflow schema shares; payloads name their schema. */
export const JOBS_CHANNEL = "tickflow_jobs";

export const LISTEN_JOBS = `LISTEN ${JOBS_CHANNEL}`;

export const NOTIFY = "SELECT pg_notify($1, $2)";

/**
 * The insert statements, for a table prefix ("" on tickflow's pool, `"schema".` on a caller's
 * client). Ids are drawn from the sequence before the insert so that each input row knows its id
 * whether or not ON CONFLICT skipped it; the NOTIFY rides in the same statement, hence the same
 * transaction, so listeners wake exactly when the jobs become visible.
 */
export function jobInsertStatements(prefix: string): {
  /** The insert for a batch: `keyed` when any job has a dedupe key, `leasing` for leaseTo. */
  insert(options: { keyed: boolean; leasing: boolean }): { text: string; name: string };
  existingByKey: string;
} {
  const texts = new Map<string, { text: string; name: string }>();
  for (const keyed of [true, false]) {
    for (const leasing of [true, false]) {
      texts.set(`${keyed}/${leasing}`, {
        text: insertStatement(prefix, keyed, leasing),
        name: `tickflow_insert_jobs${keyed ? "" : "_unkeyed"}${leasing ? "_leasing" : ""}`,
      });
    }
  }
  return {
    insert: ({ keyed, leasing }) => texts.get(`${keyed}/${leasing}`) as { text: string; name: string },
    // The unfinished job that blocked the insert; if it finished meanwhile, the newest with that key.
    existingByKey: `SELECT DISTINCT ON (key) key, id FROM ${prefix}jobs WHERE key = ANY($1::text[])
ORDER BY key, (state IN ${UNFINISHED}) DESC, id DESC`,
  };
}

/**
 * Unkeyed, no ON CONFLICT clause: jobs without a key cannot conflict, and the speculative
 * insertion ON CONFLICT makes every row go through cost 10-25 % of a bulk insert. $14 / $15 are the
 * concurrency and dedupe keys. Leasing, three more parameters: $16 says per job whether it may be
 * inserted leased (leasableOnInsert), $17 / $18 are the lease's owner and expiry. A leased row is
 * inserted as a claim would leave it, unless a monitor holds its queue closed or its type is
 * disabled; the NOTIFY goes out only for rows inserted unleased.
 */
function insertStatement(prefix: string, keyed: boolean, leasing: boolean): string {
  const leased = leasing
    ? `(i.may_lease AND i.queue NOT IN (SELECT g.queue FROM ${prefix}queue_gates AS g)
      AND i.type NOT IN (SELECT t.type FROM ${prefix}type_pauses AS t))`
    : "false";
  const claimColumns = leasing ? ", attempt, lease_token, lease_owner, lease_expires_at, started_at" : "";
  const claimValues = leasing
    ? `, CASE WHEN leased THEN 1 ELSE 0 END, CASE WHEN leased THEN 1 ELSE 0 END, CASE WHEN leased THEN $17::text END,
    CASE WHEN leased THEN $18::bigint END, CASE WHEN leased THEN $12::bigint END`
    : "";
  return `WITH input AS MATERIALIZED (
  SELECT nextval('${prefix}jobs_id_seq') AS id, i.type, i.queue, i.payload, i.state, i.priority, i.max_attempts,
    i.run_at, i.key, i.timeout_ms, i.backoff, i.state_key, i.concurrency_key, i.dedupe_key, i.ord,
    ${leased} AS leased
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::integer[], $6::integer[], $7::bigint[],
    $8::text[], $9::bigint[], $10::text[], $11::text[], $14::text[], $15::text[]${leasing ? ", $16::boolean[]" : ""})
    WITH ORDINALITY AS i(type, queue, payload, state, priority, max_attempts, run_at, key, timeout_ms, backoff,
      state_key, concurrency_key, dedupe_key, ${leasing ? "may_lease, " : ""}ord)
),
inserted AS (
  INSERT INTO ${prefix}jobs (id, type, queue, payload, state, priority, max_attempts, run_at, key, timeout_ms,
    backoff, state_key, concurrency_key, dedupe_key, created_at${claimColumns})
  SELECT id, type, queue, payload, CASE WHEN leased THEN 'running' ELSE state END, priority, max_attempts, run_at,
    key, timeout_ms, backoff, state_key, concurrency_key, dedupe_key, $12::bigint${claimValues}
  FROM input ORDER BY ord${keyed ? `\n  ON CONFLICT (key) WHERE key IS NOT NULL AND state IN ${UNFINISHED} DO NOTHING` : ""}
  RETURNING id
),
hint AS MATERIALIZED (
  SELECT pg_notify('${JOBS_CHANNEL}', $13) WHERE EXISTS (SELECT 1 FROM input WHERE NOT leased)
)
SELECT input.ord, input.key, inserted.id AS inserted_id, input.leased
FROM input LEFT JOIN inserted ON inserted.id = input.id LEFT JOIN hint ON true
ORDER BY input.ord`;
}

/**
 * The jobs a schedule's fired ticks insert, as a data-modifying CTE over `ticks` (RECORD_TICKS in
 * postgres-schedules.ts): job ids were drawn by the tick insert, so each tick points at its job.
 * Kept beside the job INSERT above: a new job column is added to both.
 */
export const INSERT_FIRED_JOBS = `INSERT INTO jobs (id, type, queue, payload, state, priority, max_attempts, run_at, timeout_ms, backoff, state_key,
    schedule_id, nominal_at, created_at)
  SELECT job_id, $6, $7, $8, 'available', $9, $10, $5, $11, $12, $13, $1, nominal_at, $5
  FROM ticks WHERE job_id IS NOT NULL ORDER BY job_id`;

/** A flow row with its schedule's live next fire time (null while disabled, removed or paused). */
export const SELECT_FLOW = `SELECT f.*, s.next_fire_at AS schedule_next_fire_at, s.paused AS schedule_paused
  FROM data_flows AS f LEFT JOIN schedules AS s ON s.id = f.schedule_id`;

/**
 * `(state = 'running') IS TRUE` rather than `state = 'running'` (same rows: state is NOT NULL) so
 * the planner cannot take jobs_running_lease for it: with statistics gathered while few jobs ran
 * it believes that index holds ~1 row and rescans the batch once per running job, O(batch ×
 * running). Unmatched, the only good plan is one primary-key probe per batch row.
 */
export const IS_RUNNING = "(jobs.state = 'running') IS TRUE";

// ── history (shared by the fold and the reads) ──────────────────────────────

/** Where a history fold stands (`source`: "ticks", …): the (at, key) of the last row it counted. */
export const HISTORY_WATERMARK = "SELECT at, key FROM history_watermarks WHERE source = $1";
