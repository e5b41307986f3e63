import { isFinalState, type JobState } from "../../core/job-state.ts";
import { NotFoundError } from "../../errors.ts";
import type {
  AttemptFinish,
  ClaimedJob,
  ClaimRequest,
  FinishResult,
  InsertResult,
  JobInsert,
  JobStore,
  Lease,
  LeaseGrant,
} from "../ports/job-store.ts";
import type { JobRow } from "../ports/rows.ts";
import { isPlainSuccessBatch } from "../shared/finish-batch.ts";
import { finishIsolated } from "../shared/finish-isolation.ts";
import { claimedOnInsert, leasableOnInsert } from "../shared/insert-lease.ts";
import { applicableRules } from "../shared/limited-claim.ts";
import { toClaimedJob, toJobRow } from "../shared/rows.ts";
import { storableJobs } from "../shared/storable-jobs.ts";
import { dedupeOnInsert } from "./sqlite-dedupe.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { insertJobsInSets } from "./sqlite-job-inserts.ts";
import { claimUnderLimits, ENABLED_TYPE, ONE_PER_STATE_KEY, OPEN_QUEUE } from "./sqlite-limited-claim.ts";
import { isSqliteValueRefusal } from "./sqlite-refusal.ts";
import {
  INSERT_JOB,
  INSERT_LEASED_JOB,
  insertJobValues,
  insertLeasedJobValues,
  pendingState,
  SELECT_JOB,
  unfinishedState,
} from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const UNFINISHED = unfinishedState();
const DEDUPE = `ON CONFLICT (key) WHERE key IS NOT NULL AND ${UNFINISHED} DO NOTHING`;
const INSERT_NEW = `${INSERT_JOB} ${DEDUPE}`;
const INSERT_LEASED = `${INSERT_LEASED_JOB} ${DEDUPE}`;
const EXISTING_BY_KEY = `SELECT id FROM jobs WHERE key = ? AND ${UNFINISHED}`;
/** No monitor holds the queue closed (queue_gates is ~empty: one index probe). */
const QUEUE_CLOSED = "SELECT 1 FROM queue_gates WHERE queue = ? LIMIT 1";

const PENDING_J = pendingState("j.state");
/** Disabled types (type_pauses, ~empty) are not claimed, nor inserted leased. */
const TYPE_PAUSED = "SELECT 1 FROM type_pauses WHERE type = ? LIMIT 1";
const PAUSE_TYPE = "INSERT INTO type_pauses (type, paused_at) VALUES (?, ?) ON CONFLICT (type) DO NOTHING";
const RESUME_TYPE = "DELETE FROM type_pauses WHERE type = ?";
/**
 * The claim. Its guard, "is any job due at all?", reads the earliest pending run_at from
 * jobs_pending_run_at (migration 8) once, before anything else: an idle claim costs one index
 * probe however many jobs wait in the future (jobs_due cannot seek on run_at across priorities, so
 * an empty claim walked every pending job). In the outer WHERE, not beside the walk: there it made
 * SQLite plan a sort of the due rows. test/unit/store/query-plans.test.ts holds both plans. Its
 * eligibility (open queue, enabled type, one per state key) is sqlite-limited-claim.ts's.
 */
const claimJobs = (queues: number | undefined) => `UPDATE jobs SET state = 'running', attempt = attempt + 1,
         lease_token = lease_token + 1, lease_owner = ?, lease_expires_at = ?, started_at = ?
       WHERE id IN (
         SELECT id FROM jobs AS j INDEXED BY ${queues !== undefined ? "jobs_claim" : "jobs_due"}
         WHERE ${PENDING_J} AND run_at <= ? ${queues !== undefined ? `AND queue IN (${marks(queues)})` : ""}
           AND ${OPEN_QUEUE} AND ${ENABLED_TYPE} AND ${ONE_PER_STATE_KEY}
         ORDER BY priority DESC, run_at, id LIMIT ?)
         AND (SELECT min(d.run_at) FROM jobs AS d INDEXED BY jobs_pending_run_at
           WHERE ${pendingState("d.state")} ${queues !== undefined ? `AND d.queue IN (${marks(queues)})` : ""}) <= ?
       RETURNING id, type, queue, payload, attempt, max_attempts, lease_token, timeout_ms, backoff,
         state_key, schedule_id, nominal_at, started_at, priority, run_at`;

const EXTEND_LEASE =
  "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND lease_token = ? AND lease_owner = ? AND state = 'running'";
const SAVE_STATE = `INSERT INTO job_state (state_key, state, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (state_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`;
const TICK_STARTED =
  "UPDATE schedule_ticks SET started_at = ? WHERE schedule_id = ? AND nominal_at = ? AND started_at IS NULL";
/**
 * One UPDATE … FROM (VALUES …) for a whole batch (fenced per row by lease token): a statement
 * per batch instead of per job is what moves processed throughput from ~9k to ~25k+ jobs/s.
 */
const finishJobs = (
  rows: number,
) => `WITH f (id, token, state, run_at, error, finished_at) AS (VALUES ${rowsOf(rows, 6)})
       UPDATE jobs SET state = f.state, run_at = coalesce(f.run_at, jobs.run_at), lease_owner = NULL,
         lease_expires_at = NULL, last_error = f.error, finished_at = f.finished_at
       FROM f WHERE jobs.id = f.id AND jobs.lease_token = f.token AND jobs.state = 'running'
       RETURNING jobs.id`;
/** finishJobs for a plain success batch (isPlainSuccessBatch): three values a job instead of six. */
const succeedJobs = (rows: number) => `WITH f (id, token, finished_at) AS (VALUES ${rowsOf(rows, 3)})
       UPDATE jobs SET state = 'succeeded', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
         finished_at = f.finished_at
       FROM f WHERE jobs.id = f.id AND jobs.lease_token = f.token AND jobs.state = 'running'
       RETURNING jobs.id`;
/** A run row per finish; a plain success batch has no error columns to bind. */
const insertRuns = (rows: number, plain: boolean) =>
  `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome${plain ? "" : ", error_message, error_stack"})
       VALUES ${rowsOf(rows, plain ? 7 : 9)}`;

const RELEASE_JOB = `UPDATE jobs SET state = 'available', attempt = attempt - 1, lease_owner = NULL,
         lease_expires_at = NULL
       WHERE id = ? AND lease_token = ? AND lease_owner = ? AND state = 'running'
       RETURNING attempt + 1 AS attempt, started_at, queue`;
const INSERT_RELEASED_RUN = `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome)
       VALUES (?, ?, ?, ?, ?, ?, 'released')`;

const SELECT_EXPIRED = `SELECT id, attempt, max_attempts, lease_owner, started_at, queue FROM jobs
       WHERE state = 'running' AND lease_expires_at < ?`;
/** The hot-path statements, for the query-plan test (test/unit/store/query-plans.test.ts). */
export const HOT_PATH_JOB_SQL = { claim: claimJobs, expiredLeases: SELECT_EXPIRED };
const RESCUE_JOB = `UPDATE jobs SET state = ?, lease_owner = NULL, lease_expires_at = NULL, finished_at = ?,
         last_error = 'lease expired: the worker stopped or stalled'
       WHERE id = ? AND state = 'running' AND lease_expires_at < ?`;
const INSERT_ABANDONED_RUN = `INSERT INTO job_runs (job_id, attempt, worker_id, started_at, ended_at, duration_ms, outcome,
         error_message)
       VALUES (?, ?, ?, ?, ?, ?, 'abandoned', 'lease expired: the worker stopped or stalled')`;

const CANCEL_JOB = `UPDATE jobs SET state = 'cancelled', finished_at = ?, lease_owner = NULL, lease_expires_at = NULL,
           lease_token = lease_token + 1 WHERE id = ?`;
const RETRY_JOB = `UPDATE jobs SET state = 'available', run_at = ?, finished_at = NULL,
           max_attempts = max(max_attempts, attempt + 1) WHERE id = ?`;

const PRUNE_RUNS =
  "DELETE FROM job_runs WHERE job_id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?)";
const PRUNE_JOBS = "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?";

/** Rows per multi-row statement: 9 params × 200 stays far below SQLite's 32 766 variable limit. */
const FINISH_CHUNK = 200;
/** "?, ?, ?" for `n` values. */
const marks = (n: number) => Array.from({ length: n }, () => "?").join(", ");
/** "(?, ?, ?), (?, ?, ?)" for `rows` rows of `columns` values. */
const rowsOf = (rows: number, columns: number) =>
  Array.from({ length: rows }, () => `(${marks(columns)})`).join(", ");

/** `store.jobs` on SQLite: the jobs, job_runs and job_state tables; every write in BEGIN IMMEDIATE. */
export class SqliteJobs implements JobStore {
  constructor(private readonly deps: SqliteDeps) {}

  async insertJobs(
    given: readonly JobInsert[],
    now: number,
    options: { leaseTo?: LeaseGrant } = {},
  ): Promise<InsertResult[]> {
    if (given.length === 0) return [];
    const jobs = storableJobs(given);
    const { stmt } = this.deps;
    const insert = stmt(INSERT_NEW);
    const existing = stmt(EXISTING_BY_KEY);
    const { leaseTo } = options;
    if (leaseTo === undefined && !jobs.some((j) => j.dedupe)) {
      const results = await this.deps.write(() => insertJobsInSets(this.deps, jobs, now));
      this.deps.hint(jobs);
      return results;
    }
    // Leasing (an enqueue of one job onto this process's idle worker), or debounce / throttle /
    // singleton jobs: row by row, each may be leased or deduped.
    const results = await this.deps.write(() =>
      jobs.map((job): InsertResult => {
        const deduped = dedupeOnInsert(this.deps, job, now);
        if (deduped) return deduped;
        const lease =
          leaseTo !== undefined && leasableOnInsert(job, now) && this.openToLease(job) ? leaseTo : null;
        const leased = lease !== null;
        const info = lease
          ? stmt(INSERT_LEASED).run(...insertLeasedJobValues(job, now, lease))
          : insert.run(...insertJobValues(job, now));
        if (info.changes === 1) {
          const id = String(info.lastInsertRowid);
          return leased
            ? { id, status: "inserted", claimed: claimedOnInsert(id, job, now) }
            : { id, status: "inserted" };
        }
        const row = existing.get(job.key) as { id: number };
        return { id: String(row.id), status: "duplicate" };
      }),
    );
    this.deps.hint(jobs.filter((_, i) => results[i]?.claimed === undefined));
    return results;
  }

  private openToLease(job: JobInsert): boolean {
    const { stmt } = this.deps;
    return stmt(QUEUE_CLOSED).get(job.queue) === undefined && stmt(TYPE_PAUSED).get(job.type) === undefined;
  }

  async claimJobs(request: ClaimRequest): Promise<ClaimedJob[]> {
    const { queues, workerId, now, leaseMs, limit } = request;
    if (limit <= 0 || queues?.length === 0) return [];
    const rules = applicableRules(request.rules, queues);
    const claim = this.deps.stmt(claimJobs(queues?.length));
    const rows = await this.deps.write(() =>
      rules.length > 0
        ? claimUnderLimits(this.deps, request, rules)
        : (claim.all(
            workerId,
            now + leaseMs,
            now,
            now,
            ...(queues ?? []),
            now,
            limit,
            ...(queues ?? []),
            now,
          ) as Row[]),
    );
    // RETURNING gives no order guarantee; hand jobs out in claim order.
    rows.sort(
      (a, b) =>
        (b.priority as number) - (a.priority as number) ||
        (a.run_at as number) - (b.run_at as number) ||
        (a.id as number) - (b.id as number),
    );
    return rows.map(toClaimedJob);
  }

  async extendLeases(
    workerId: string,
    leases: readonly Lease[],
    leaseMs: number,
    now: number,
  ): Promise<string[]> {
    if (leases.length === 0) return [];
    const extend = this.deps.stmt(EXTEND_LEASE);
    return this.deps.write(() =>
      leases
        .filter((lease) => extend.run(now + leaseMs, lease.jobId, lease.leaseToken, workerId).changes === 0)
        .map((lease) => lease.jobId),
    );
  }

  async finishAttempts(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    if (finishes.length === 0) return [];
    return finishIsolated(finishes, {
      apply: (batch) => this.applyFinishBatch(batch),
      isValueRefusal: isSqliteValueRefusal,
    });
  }

  /** One finish batch in one transaction (finishIsolated splits it if SQLite refuses a value). */
  private async applyFinishBatch(finishes: readonly AttemptFinish[]): Promise<FinishResult[]> {
    const saveState = this.deps.stmt(SAVE_STATE);
    const tickStarted = this.deps.stmt(TICK_STARTED);
    const results: FinishResult[] = [];
    const plain = isPlainSuccessBatch(finishes);
    await this.deps.write(() => {
      for (let offset = 0; offset < finishes.length; offset += FINISH_CHUNK) {
        const chunk = finishes.slice(offset, offset + FINISH_CHUNK);
        const applied = plain ? this.applySuccesses(chunk) : this.applyFinishes(chunk);
        this.insertRuns(chunk, applied, plain);
        for (const f of chunk) {
          const ok = applied.has(f.jobId);
          results.push(ok ? "applied" : "lease_lost");
          if (!ok) continue;
          if (f.state) saveState.run(f.state.key, f.state.json, f.endedAt);
          if (f.tick) tickStarted.run(f.startedAt, f.tick.scheduleId, f.tick.nominalAt);
        }
      }
    });
    const retried = finishes.flatMap((f) =>
      f.next.state === "retry_scheduled" ? [{ queue: "", runAt: f.next.runAt }] : [],
    );
    this.deps.hint(retried);
    return results;
  }

  private applyFinishes(chunk: readonly AttemptFinish[]): Set<string> {
    const params: unknown[] = [];
    for (const f of chunk) {
      const next = f.next;
      params.push(
        Number(f.jobId),
        f.leaseToken,
        next.state,
        next.state === "retry_scheduled" ? next.runAt : null,
        f.error?.message ?? null,
        isFinalState(next.state) ? f.endedAt : null,
      );
    }
    const rows = this.deps.stmt(finishJobs(chunk.length)).all(...params) as { id: number }[];
    return new Set(rows.map((r) => String(r.id)));
  }

  private applySuccesses(chunk: readonly AttemptFinish[]): Set<string> {
    const params: unknown[] = [];
    for (const f of chunk) params.push(Number(f.jobId), f.leaseToken, f.endedAt);
    const rows = this.deps.stmt(succeedJobs(chunk.length)).all(...params) as { id: number }[];
    return new Set(rows.map((r) => String(r.id)));
  }

  private insertRuns(chunk: readonly AttemptFinish[], applied: Set<string>, plain: boolean): void {
    const params: unknown[] = [];
    for (const f of chunk) {
      params.push(
        f.jobId,
        f.attempt,
        f.workerId,
        f.startedAt,
        f.endedAt,
        f.endedAt - f.startedAt,
        applied.has(f.jobId) ? f.outcome : "lease_lost",
      );
      if (!plain) params.push(f.error?.message ?? null, f.error?.stack ?? null);
    }
    this.deps.stmt(insertRuns(chunk.length, plain)).run(...params);
  }

  async releaseJobs(
    workerId: string,
    leases: readonly Lease[],
    now: number,
    options: { unstarted?: boolean } = {},
  ): Promise<number> {
    if (leases.length === 0) return 0;
    const record = options.unstarted !== true;
    const release = this.deps.stmt(RELEASE_JOB);
    const insertRun = this.deps.stmt(INSERT_RELEASED_RUN);
    const released: { queue: string; runAt: number }[] = [];
    await this.deps.write(() => {
      for (const lease of leases) {
        const row = release.get(lease.jobId, lease.leaseToken, workerId) as Row | undefined;
        if (!row) continue;
        const startedAt = row.started_at as number;
        if (record) insertRun.run(lease.jobId, row.attempt, workerId, startedAt, now, now - startedAt);
        released.push({ queue: row.queue as string, runAt: now });
      }
    });
    this.deps.hint(released);
    return released.length;
  }

  async rescueExpiredLeases(now: number): Promise<number> {
    const expired = this.deps.stmt(SELECT_EXPIRED);
    const rescue = this.deps.stmt(RESCUE_JOB);
    const insertRun = this.deps.stmt(INSERT_ABANDONED_RUN);
    const rescued: { queue: string; runAt: number }[] = [];
    await this.deps.write(() => {
      for (const row of expired.all(now) as Row[]) {
        const spent = (row.attempt as number) >= (row.max_attempts as number);
        rescue.run(spent ? "discarded" : "available", spent ? now : null, row.id, now);
        const startedAt = (row.started_at as number) ?? now;
        insertRun.run(row.id, row.attempt, row.lease_owner ?? "unknown", startedAt, now, now - startedAt);
        if (!spent) rescued.push({ queue: row.queue as string, runAt: now });
      }
    });
    this.deps.hint(rescued);
    return rescued.length;
  }

  async cancelJob(id: string, now: number): Promise<JobRow> {
    return this.deps.write(() => {
      const job = this.requireJob(id);
      if (isFinalState(job.state)) return job;
      this.deps.stmt(CANCEL_JOB).run(now, id);
      // A cancelled running job frees its state key: the next job of that key may start now.
      if (job.state === "running" && job.stateKey !== null)
        this.deps.hint([{ queue: job.queue, runAt: now }]);
      return this.requireJob(id);
    });
  }

  async retryJob(id: string, now: number): Promise<JobRow> {
    return this.deps.write(() => {
      const job = this.requireJob(id);
      const retryable: JobState[] = ["discarded", "cancelled", "retry_scheduled", "scheduled"];
      if (!retryable.includes(job.state)) return job;
      this.deps.stmt(RETRY_JOB).run(now, id);
      this.deps.hint([{ queue: job.queue, runAt: now }]);
      return this.requireJob(id);
    });
  }

  private requireJob(id: string): JobRow {
    const row = this.deps.stmt(SELECT_JOB).get(id) as Row | undefined;
    if (!row) throw new NotFoundError(`job ${id}`);
    return toJobRow(row);
  }

  async setTypePaused(type: string, paused: boolean, now: number): Promise<boolean> {
    const changed = await this.deps.write(
      () =>
        this.deps.stmt(paused ? PAUSE_TYPE : RESUME_TYPE).run(...(paused ? [type, now] : [type])).changes > 0,
    );
    // Enabled again: its waiting jobs may start now.
    if (changed && !paused) this.deps.hint([{ queue: "", runAt: now }]);
    return changed;
  }

  async pruneFinishedJobs(olderThan: number): Promise<number> {
    return this.deps.write(() => {
      this.deps.stmt(PRUNE_RUNS).run(olderThan);
      return this.deps.stmt(PRUNE_JOBS).run(olderThan).changes;
    });
  }
}
