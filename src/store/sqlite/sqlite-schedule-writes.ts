import { NotFoundError } from "../../errors.ts";
import type { ScheduleDefinitionRow } from "../ports/rows.ts";
import type { SyncReport, UpsertResult } from "../ports/schedule-store.ts";
import { toScheduleDeployRow, toScheduleRow } from "../shared/rows.ts";
import { type CodeDeclaration, decideDeploy } from "../shared/schedule-deploys.ts";
import {
  codeScheduleConflict as codeSchedule,
  planScheduleSync,
  scheduleDefinitionValues,
  scheduleUpdate,
} from "../shared/schedule-sync.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { SELECT_SCHEDULE } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const CODE_SCHEDULES = "SELECT * FROM schedules WHERE source = 'code'";
/** The keys among a JSON array of keys that are stored as runtime schedules. */
const RUNTIME_AMONG = `SELECT id FROM schedules WHERE source = 'runtime'
       AND id IN (SELECT value FROM json_each(?))`;
const INSERT_SCHEDULE = `INSERT INTO schedules (id, job_type, payload, trigger, misfire, grace_ms, overlap, job_options,
         tolerance_ms, owner, tenant, labels, source, declared_by, next_fire_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const UPDATE_SCHEDULE = `UPDATE schedules SET job_type = ?, payload = ?, trigger = ?, misfire = ?, grace_ms = ?,
         overlap = ?, job_options = ?, tolerance_ms = ?, owner = ?, tenant = ?, labels = ?, next_fire_at = ?, updated_at = ?,
         broken_error = NULL, broken_at = NULL
       WHERE id = ?`;
const DELETE_SCHEDULE = "DELETE FROM schedules WHERE id = ?";
const MARK_DECLARED = "UPDATE schedules SET declared_by = ? WHERE source = 'code' AND declared_by IS NOT ?";

const SELECT_DEPLOYS = "SELECT * FROM schedule_deploys";
const RECORD_DEPLOY = `INSERT INTO schedule_deploys (code_hash, version, schedule_keys, first_seen_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (code_hash) DO UPDATE SET version = excluded.version, schedule_keys = excluded.schedule_keys,
         last_seen_at = excluded.last_seen_at`;
const TOUCH_DEPLOY = "UPDATE schedule_deploys SET last_seen_at = max(last_seen_at, ?) WHERE code_hash = ?";
/** The code hashes with a live process other than the declaring one. */
const LIVE_HASHES = `SELECT DISTINCT code_hash FROM schedule_deploy_processes
       WHERE stopped_at IS NULL AND last_seen_at >= ? AND process_id IS NOT ?`;
const RECORD_PROCESS = `INSERT INTO schedule_deploy_processes (process_id, code_hash, last_seen_at) VALUES (?, ?, ?)
       ON CONFLICT (process_id) DO UPDATE SET code_hash = excluded.code_hash, last_seen_at = excluded.last_seen_at,
         stopped_at = NULL`;
const TOUCH_PROCESS = "UPDATE schedule_deploy_processes SET last_seen_at = ? WHERE process_id = ?";
const RELEASE_PROCESS = "UPDATE schedule_deploy_processes SET stopped_at = ? WHERE process_id = ?";
/** Process rows a day past their last check-in are history nobody reads. */
const FORGET_PROCESSES = "DELETE FROM schedule_deploy_processes WHERE last_seen_at < ?";
const DAY_MS = 86_400_000;

/** Code-schedule reconciliation, runtime upserts and removals on SQLite (SqliteSchedules delegates here). */
export class SqliteScheduleWrites {
  constructor(private readonly deps: SqliteDeps) {}

  sync(
    defs: readonly ScheduleDefinitionRow[],
    now: number,
    declaration?: CodeDeclaration,
  ): Promise<SyncReport> {
    const { stmt } = this.deps;
    return this.deps.write(() => {
      const report: SyncReport = { created: [], updated: [], removed: [], conflicts: [], deploy: null };
      if (declaration) {
        const deploys = (stmt(SELECT_DEPLOYS).all() as Row[]).map(toScheduleDeployRow);
        const me = declaration.processId ?? null;
        const liveRows = stmt(LIVE_HASHES).all(now - declaration.staleMs, me) as Row[];
        const decision = decideDeploy(
          deploys,
          declaration,
          new Set(liveRows.map((r) => r.code_hash as string)),
        );
        report.deploy = decision;
        const keys = JSON.stringify([...declaration.scheduleKeys].sort());
        stmt(RECORD_DEPLOY).run(declaration.codeHash, decision.version, keys, now, now);
        stmt(FORGET_PROCESSES).run(now - DAY_MS);
        if (me !== null) stmt(RECORD_PROCESS).run(me, declaration.codeHash, now);
        if (decision.role === "older") return report;
      }
      const stored = (stmt(CODE_SCHEDULES).all() as Row[]).map(toScheduleRow);
      const ids = JSON.stringify(defs.map((d) => d.id));
      const runtime = new Set((stmt(RUNTIME_AMONG).all(ids) as Row[]).map((r) => r.id as string));
      const plan = planScheduleSync(stored, runtime, defs);
      const by = declaration?.codeHash ?? null;
      for (const def of plan.create) {
        stmt(INSERT_SCHEDULE).run(
          ...scheduleDefinitionValues(def),
          "code",
          by,
          def.initialNextFireAt,
          now,
          now,
        );
        report.created.push(def.id);
      }
      for (const { def, nextFireAt } of plan.update) {
        const [id, ...columns] = scheduleDefinitionValues(def);
        stmt(UPDATE_SCHEDULE).run(...columns, nextFireAt, now, id);
        report.updated.push(def.id);
      }
      for (const row of plan.remove) {
        stmt(DELETE_SCHEDULE).run(row.id);
        report.removed.push(row.id);
      }
      if (by !== null) stmt(MARK_DECLARED).run(by, by);
      report.conflicts = plan.conflicts;
      return report;
    });
  }

  upsert(def: ScheduleDefinitionRow, now: number): Promise<UpsertResult> {
    const { stmt } = this.deps;
    return this.deps.write(() => {
      const found = stmt(SELECT_SCHEDULE).get(def.id) as Row | undefined;
      const before = found ? toScheduleRow(found) : null;
      if (before?.source === "code") throw codeSchedule(def.id, "changed");
      let status: UpsertResult["status"] = "created";
      let changed: string[] = [];
      if (!before) {
        stmt(INSERT_SCHEDULE).run(
          ...scheduleDefinitionValues(def),
          "runtime",
          null,
          def.initialNextFireAt,
          now,
          now,
        );
      } else {
        const update = scheduleUpdate(before, def, now);
        status = update ? "updated" : "unchanged";
        changed = update?.changed ?? [];
        if (update) {
          const [id, ...columns] = scheduleDefinitionValues(def);
          stmt(UPDATE_SCHEDULE).run(...columns, update.nextFireAt, now, id);
        }
      }
      return { schedule: toScheduleRow(stmt(SELECT_SCHEDULE).get(def.id) as Row), status, changed };
    });
  }

  remove(id: string): Promise<void> {
    const { stmt } = this.deps;
    return this.deps.write(() => {
      const found = stmt(SELECT_SCHEDULE).get(id) as Row | undefined;
      if (!found) throw new NotFoundError(`schedule "${id}"`);
      if (toScheduleRow(found).source === "code") throw codeSchedule(id, "removed");
      stmt(DELETE_SCHEDULE).run(id);
    });
  }

  async touch(codeHash: string, processId: string, now: number): Promise<void> {
    await this.deps.write(() => {
      this.deps.stmt(TOUCH_DEPLOY).run(now, codeHash);
      this.deps.stmt(TOUCH_PROCESS).run(now, processId);
    });
  }

  async release(processId: string, now: number): Promise<void> {
    await this.deps.write(() => this.deps.stmt(RELEASE_PROCESS).run(now, processId));
  }
}
