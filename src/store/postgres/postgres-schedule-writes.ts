import { NotFoundError } from "../../errors.ts";
import type { ScheduleDefinitionRow } from "../ports/rows.ts";
import type { SyncReport, UpsertResult } from "../ports/schedule-store.ts";
import { toScheduleDeployRow, toScheduleRow } from "../shared/rows.ts";
import { type CodeDeclaration, decideDeploy } from "../shared/schedule-deploys.ts";
import {
  codeScheduleConflict,
  planScheduleSync,
  scheduleDefinitionValues,
  scheduleUpdate,
} from "../shared/schedule-sync.ts";
import type { PostgresDeps } from "./postgres-deps.ts";

// ── statements ──────────────────────────────────────────────────────────────

/** Serializes syncSchedules() so two processes starting together do not both create a schedule. */
const SYNC_SCHEDULES_LOCK = "SELECT pg_advisory_xact_lock(7412002, hashtext($1))";

const SELECT_CODE_SCHEDULES = "SELECT * FROM schedules WHERE source = 'code'";
const RUNTIME_AMONG = "SELECT id FROM schedules WHERE source = 'runtime' AND id = ANY($1::text[])";

const INSERT_SCHEDULE = `INSERT INTO schedules (id, job_type, payload, trigger, misfire, grace_ms, overlap,
  job_options, tolerance_ms, owner, tenant, labels, source, declared_by, next_fire_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)`;

const UPDATE_SCHEDULE = `UPDATE schedules SET job_type = $2, payload = $3, trigger = $4, misfire = $5,
  grace_ms = $6, overlap = $7, job_options = $8, tolerance_ms = $9, owner = $10, tenant = $11, labels = $12,
  next_fire_at = $13, updated_at = $14, broken_error = NULL, broken_at = NULL
WHERE id = $1`;
const DELETE_SCHEDULE = "DELETE FROM schedules WHERE id = $1";
const MARK_DECLARED =
  "UPDATE schedules SET declared_by = $1 WHERE source = 'code' AND declared_by IS DISTINCT FROM $1";

/**
 * The row a runtime write changes, locked: a scheduler firing it right now holds the lock (its
 * SELECT … FOR UPDATE SKIP LOCKED), so the change waits for that tick's transaction and then
 * sees the next fire time it left — no tick decided on the old trigger after the change.
 */
const LOCK_SCHEDULE = "SELECT * FROM schedules WHERE id = $1 FOR UPDATE";
const SELECT_SCHEDULE = "SELECT * FROM schedules WHERE id = $1";

const SELECT_DEPLOYS = "SELECT * FROM schedule_deploys";
const RECORD_DEPLOY = `INSERT INTO schedule_deploys (code_hash, version, schedule_keys, first_seen_at, last_seen_at)
VALUES ($1, $2, $3, $4, $4)
ON CONFLICT (code_hash) DO UPDATE SET version = excluded.version, schedule_keys = excluded.schedule_keys,
  last_seen_at = excluded.last_seen_at`;
const TOUCH_DEPLOY =
  "UPDATE schedule_deploys SET last_seen_at = greatest(last_seen_at, $1) WHERE code_hash = $2";
/** The code hashes with a live process other than the declaring one. */
const LIVE_HASHES = `SELECT DISTINCT code_hash FROM schedule_deploy_processes
WHERE stopped_at IS NULL AND last_seen_at >= $1 AND process_id IS DISTINCT FROM $2`;
const RECORD_PROCESS = `INSERT INTO schedule_deploy_processes (process_id, code_hash, last_seen_at) VALUES ($1, $2, $3)
ON CONFLICT (process_id) DO UPDATE SET code_hash = excluded.code_hash, last_seen_at = excluded.last_seen_at,
  stopped_at = NULL`;
const TOUCH_PROCESS = "UPDATE schedule_deploy_processes SET last_seen_at = $1 WHERE process_id = $2";
const RELEASE_PROCESS = "UPDATE schedule_deploy_processes SET stopped_at = $1 WHERE process_id = $2";
/** Process rows a day past their last check-in are history nobody reads. */
const FORGET_PROCESSES = "DELETE FROM schedule_deploy_processes WHERE last_seen_at < $1";
const DAY_MS = 86_400_000;

/** Code-schedule reconciliation, runtime upserts and removals on PostgreSQL (PostgresSchedules delegates here). */
export class PostgresScheduleWrites {
  constructor(private readonly deps: PostgresDeps) {}

  sync(
    defs: readonly ScheduleDefinitionRow[],
    now: number,
    declaration?: CodeDeclaration,
  ): Promise<SyncReport> {
    return this.deps.transaction(async (c) => {
      await c.query(SYNC_SCHEDULES_LOCK, [this.deps.schema]);
      const report: SyncReport = { created: [], updated: [], removed: [], conflicts: [], deploy: null };
      if (declaration) {
        const deploys = (await c.query(SELECT_DEPLOYS)).rows.map(toScheduleDeployRow);
        const me = declaration.processId ?? null;
        const liveRows = (await c.query(LIVE_HASHES, [now - declaration.staleMs, me])).rows;
        const decision = decideDeploy(
          deploys,
          declaration,
          new Set(liveRows.map((r) => r.code_hash as string)),
        );
        report.deploy = decision;
        const keys = JSON.stringify([...declaration.scheduleKeys].sort());
        await c.query(RECORD_DEPLOY, [declaration.codeHash, decision.version, keys, now]);
        await c.query(FORGET_PROCESSES, [now - DAY_MS]);
        if (me !== null) await c.query(RECORD_PROCESS, [me, declaration.codeHash, now]);
        if (decision.role === "older") return report;
      }
      const stored = (await c.query(SELECT_CODE_SCHEDULES)).rows.map(toScheduleRow);
      const among = (await c.query(RUNTIME_AMONG, [defs.map((d) => d.id)])).rows;
      const plan = planScheduleSync(stored, new Set(among.map((r) => r.id as string)), defs);
      const by = declaration?.codeHash ?? null;
      for (const def of plan.create) {
        await c.query(INSERT_SCHEDULE, [
          ...scheduleDefinitionValues(def),
          "code",
          by,
          def.initialNextFireAt,
          now,
        ]);
        report.created.push(def.id);
      }
      for (const { def, nextFireAt } of plan.update) {
        await c.query(UPDATE_SCHEDULE, [...scheduleDefinitionValues(def), nextFireAt, now]);
        report.updated.push(def.id);
      }
      for (const row of plan.remove) {
        await c.query(DELETE_SCHEDULE, [row.id]);
        report.removed.push(row.id);
      }
      if (by !== null) await c.query(MARK_DECLARED, [by]);
      report.conflicts = plan.conflicts;
      return report;
    });
  }

  upsert(def: ScheduleDefinitionRow, now: number): Promise<UpsertResult> {
    return this.deps.transaction(async (c) => {
      const found = (await c.query(LOCK_SCHEDULE, [def.id])).rows[0];
      const before = found ? toScheduleRow(found) : null;
      if (before?.source === "code") throw codeScheduleConflict(def.id, "changed");
      let status: UpsertResult["status"] = "created";
      let changed: string[] = [];
      if (!before) {
        // Two upserts of a new key racing: the loser's insert waits on the key and then fails
        // with a unique violation, which the caller sees as an error rather than a lost write.
        await c.query(INSERT_SCHEDULE, [
          ...scheduleDefinitionValues(def),
          "runtime",
          null,
          def.initialNextFireAt,
          now,
        ]);
      } else {
        const update = scheduleUpdate(before, def, now);
        status = update ? "updated" : "unchanged";
        changed = update?.changed ?? [];
        if (update)
          await c.query(UPDATE_SCHEDULE, [...scheduleDefinitionValues(def), update.nextFireAt, now]);
      }
      const row = (await c.query(SELECT_SCHEDULE, [def.id])).rows[0]!;
      return { schedule: toScheduleRow(row), status, changed };
    });
  }

  remove(id: string): Promise<void> {
    return this.deps.transaction(async (c) => {
      const found = (await c.query(LOCK_SCHEDULE, [id])).rows[0];
      if (!found) throw new NotFoundError(`schedule "${id}"`);
      if (toScheduleRow(found).source === "code") throw codeScheduleConflict(id, "removed");
      await c.query(DELETE_SCHEDULE, [id]);
    });
  }

  async touch(codeHash: string, processId: string, now: number): Promise<void> {
    await this.deps.write(TOUCH_DEPLOY, [now, codeHash]);
    await this.deps.write(TOUCH_PROCESS, [now, processId]);
  }

  async release(processId: string, now: number): Promise<void> {
    await this.deps.write(RELEASE_PROCESS, [now, processId]);
  }
}
