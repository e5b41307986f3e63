import type Database from "better-sqlite3";
import { NotFoundError } from "../../errors.ts";
import { toScheduleRow, toTickRow } from "../rows.ts";
import { planOrBreak } from "../schedule-broken.ts";
import { scheduleUpdate } from "../schedule-sync.ts";
import { storableScheduleDefs } from "../shared/storable-jobs.ts";
import type {
  FiredTick,
  FireRequest,
  ScheduleDefinitionRow,
  ScheduleRow,
  SyncReport,
  TickRow,
} from "../store.ts";
import { unfinishedState } from "./sqlite-states.ts";

type Row = Record<string, unknown>;

/** What the SQLite adapter lends its schedules: its statements, its write transaction and its hints. */
export interface SqliteSchedulesDeps {
  /** The adapter's prepared statement for `sql` (one cache per connection). */
  stmt(sql: string): Database.Statement;
  /** BEGIN IMMEDIATE with SQLITE_BUSY retries (the adapter's). */
  write<T>(fn: () => T): Promise<T>;
  /** Wakes this process's workers for jobs just inserted. */
  hint(jobs: readonly { queue: string; runAt: number }[]): void;
}

/**
 * The schedule half of the SQLite store: the schedules and schedule_ticks tables, and the jobs a
 * tick fires (in the tick's transaction). SqliteStore delegates its Store schedule methods here.
 */
export class SqliteSchedules {
  constructor(private readonly deps: SqliteSchedulesDeps) {}

  async syncSchedules(given: readonly ScheduleDefinitionRow[], now: number): Promise<SyncReport> {
    const defs = storableScheduleDefs(given);
    return this.deps.write(() => {
      const report: SyncReport = { created: [], updated: [], removed: [] };
      const existing = new Map(
        (this.deps.stmt("SELECT * FROM schedules WHERE source = 'code'").all() as Row[]).map((r) => [
          r.id as string,
          toScheduleRow(r),
        ]),
      );
      for (const def of defs) {
        const before = existing.get(def.id);
        existing.delete(def.id);
        const trigger = JSON.stringify(def.trigger);
        const jobOptions = JSON.stringify(def.jobOptions);
        if (!before) {
          this.deps
            .stmt(
              `INSERT INTO schedules (id, job_type, payload, trigger, misfire, grace_ms, overlap, job_options, next_fire_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET source = 'code'`,
            )
            .run(
              def.id,
              def.jobType,
              def.payload,
              trigger,
              def.misfire,
              def.graceMs,
              def.overlap,
              jobOptions,
              def.initialNextFireAt,
              now,
              now,
            );
          report.created.push(def.id);
          continue;
        }
        const update = scheduleUpdate(before, def);
        if (!update) continue;
        this.deps
          .stmt(
            `UPDATE schedules SET job_type = ?, payload = ?, trigger = ?, misfire = ?, grace_ms = ?, overlap = ?,
             job_options = ?, next_fire_at = ?, updated_at = ?, broken_error = NULL, broken_at = NULL WHERE id = ?`,
          )
          .run(
            def.jobType,
            def.payload,
            trigger,
            def.misfire,
            def.graceMs,
            def.overlap,
            jobOptions,
            update.nextFireAt,
            now,
            def.id,
          );
        report.updated.push(def.id);
      }
      for (const id of existing.keys()) {
        this.deps.stmt("DELETE FROM schedules WHERE id = ?").run(id);
        report.removed.push(id);
      }
      return report;
    });
  }

  async fireDueSchedules(request: FireRequest): Promise<FiredTick[]> {
    const { now } = request;
    const due = this.deps.stmt(
      "SELECT * FROM schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at LIMIT ?",
    );
    const unfinished = this.deps.stmt(
      `SELECT 1 FROM jobs WHERE schedule_id = ? AND ${unfinishedState()} LIMIT 1`,
    );
    const insertTick = this.deps.stmt(
      `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (schedule_id, nominal_at) DO NOTHING`,
    );
    const insertJob = this.deps.stmt(
      `INSERT INTO jobs (type, queue, payload, state, priority, max_attempts, run_at, timeout_ms, backoff, state_key,
         schedule_id, nominal_at, created_at)
       VALUES (?, ?, ?, 'available', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const setTickJob = this.deps.stmt(
      "UPDATE schedule_ticks SET job_id = ? WHERE schedule_id = ? AND nominal_at = ?",
    );
    const advance = this.deps.stmt(
      "UPDATE schedules SET next_fire_at = ?, last_fire_at = coalesce(?, last_fire_at), updated_at = ? WHERE id = ? AND next_fire_at = ?",
    );
    const setAside = this.deps.stmt(
      "UPDATE schedules SET broken_error = ?, broken_at = ?, next_fire_at = NULL, updated_at = ? WHERE id = ?",
    );
    const fired: FiredTick[] = [];
    const firedQueues: string[] = [];
    const broken: { id: string; error: string }[] = [];
    await this.deps.write(() => {
      for (const row of due.all(now, request.limit) as Row[]) {
        const schedule = toScheduleRow(row);
        const planned = planOrBreak(schedule, unfinished.get(schedule.id) !== undefined, request);
        if ("broken" in planned) {
          setAside.run(planned.broken, now, now, schedule.id);
          broken.push({ id: schedule.id, error: planned.broken });
          continue;
        }
        const plan = planned.plan;
        let lastFired: number | null = null;
        for (const tick of plan.ticks) {
          const inserted =
            insertTick.run(schedule.id, tick.nominalAt, tick.decision, tick.reason, now).changes === 1;
          if (!inserted) continue;
          let jobId: string | null = null;
          if (tick.decision === "fired") {
            const o = schedule.jobOptions;
            const info = insertJob.run(
              schedule.jobType,
              o.queue,
              schedule.payload,
              o.priority,
              o.maxAttempts,
              now,
              o.timeoutMs,
              o.backoff,
              o.stateful ? `schedule:${schedule.id}` : null,
              schedule.id,
              tick.nominalAt,
              now,
            );
            jobId = String(info.lastInsertRowid);
            setTickJob.run(jobId, schedule.id, tick.nominalAt);
            lastFired = tick.nominalAt;
            firedQueues.push(o.queue);
          }
          fired.push({
            scheduleId: schedule.id,
            nominalAt: tick.nominalAt,
            decision: tick.decision,
            reason: tick.reason,
            jobId,
          });
        }
        advance.run(plan.nextFireAt, lastFired, now, schedule.id, schedule.nextFireAt);
      }
    });
    this.deps.hint(firedQueues.map((queue) => ({ queue, runAt: now })));
    for (const b of broken) request.onBroken?.(b.id, b.error);
    return fired;
  }

  async nextScheduleFireAt(): Promise<number | null> {
    const row = this.deps.stmt("SELECT min(next_fire_at) AS at FROM schedules").get() as {
      at: number | null;
    };
    return row.at;
  }

  async setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow> {
    return this.deps.write(() => {
      const changes = this.deps
        .stmt("UPDATE schedules SET paused = ?, updated_at = ? WHERE id = ?")
        .run(paused ? 1 : 0, now, id).changes;
      if (changes === 0) throw new NotFoundError(`schedule "${id}"`);
      return toScheduleRow(this.deps.stmt("SELECT * FROM schedules WHERE id = ?").get(id) as Row);
    });
  }

  async getSchedule(id: string): Promise<ScheduleRow | null> {
    const row = this.deps.stmt("SELECT * FROM schedules WHERE id = ?").get(id) as Row | undefined;
    return row ? toScheduleRow(row) : null;
  }

  async listSchedules(): Promise<ScheduleRow[]> {
    return (this.deps.stmt("SELECT * FROM schedules ORDER BY id").all() as Row[]).map(toScheduleRow);
  }

  async listTicks(scheduleId: string, options: { limit?: number; since?: number } = {}): Promise<TickRow[]> {
    const rows = this.deps
      .stmt(
        "SELECT * FROM schedule_ticks WHERE schedule_id = ? AND nominal_at >= ? ORDER BY nominal_at DESC LIMIT ?",
      )
      .all(scheduleId, options.since ?? 0, options.limit ?? 100) as Row[];
    return rows.map(toTickRow);
  }
}
