import type pg from "pg";
import { NotFoundError } from "../../errors.ts";
import { type DbRow, toScheduleRow, toTickRow } from "../rows.ts";
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
import * as sql from "./postgres-queries.ts";

type Hinted = readonly { queue: string; runAt: number }[];

/** What the PostgreSQL adapter lends its schedules. */
export interface PostgresSchedulesDeps {
  /** The store's schema: syncs of different schemas do not wait on each other's lock. */
  schema: string;
  /** BEGIN … COMMIT on one pooled connection (the adapter's, with its connection-loss handling). */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /** A read on the pool, retried once on a dropped connection. */
  read(text: string, values?: unknown[]): Promise<DbRow[]>;
  /** One autocommit statement on the pool. */
  write(text: string, values: unknown[]): Promise<DbRow[]>;
  /** NOTIFY inside the transaction: other processes hear it when it commits. */
  notify(client: pg.PoolClient, jobs: Hinted): Promise<void>;
  /** This store's own listeners (its NOTIFYs are not echoed back to it). */
  notifyLocal(jobs: Hinted): void;
}

/**
 * The schedule half of the PostgreSQL store: the schedules and schedule_ticks tables, and the
 * jobs a tick fires (in the tick's transaction). PostgresStore delegates its Store schedule
 * methods here.
 */
export class PostgresSchedules {
  constructor(private readonly deps: PostgresSchedulesDeps) {}

  async syncSchedules(given: readonly ScheduleDefinitionRow[], now: number): Promise<SyncReport> {
    const defs = storableScheduleDefs(given);
    return this.deps.transaction(async (c) => {
      await c.query(sql.SYNC_SCHEDULES_LOCK, [this.deps.schema]);
      const report: SyncReport = { created: [], updated: [], removed: [] };
      const existing = new Map(
        (await c.query(sql.SELECT_CODE_SCHEDULES)).rows.map((r) => [r.id as string, toScheduleRow(r)]),
      );
      for (const def of defs) {
        const before = existing.get(def.id);
        existing.delete(def.id);
        const trigger = JSON.stringify(def.trigger);
        const jobOptions = JSON.stringify(def.jobOptions);
        const common = [
          def.id,
          def.jobType,
          def.payload,
          trigger,
          def.misfire,
          def.graceMs,
          def.overlap,
          jobOptions,
        ];
        if (!before) {
          await c.query(sql.INSERT_SCHEDULE, [...common, def.initialNextFireAt, now]);
          report.created.push(def.id);
          continue;
        }
        const update = scheduleUpdate(before, def);
        if (!update) continue;
        await c.query(sql.UPDATE_SCHEDULE, [...common, update.nextFireAt, now]);
        report.updated.push(def.id);
      }
      for (const id of existing.keys()) {
        await c.query(sql.DELETE_SCHEDULE, [id]);
        report.removed.push(id);
      }
      return report;
    });
  }

  async fireDueSchedules(request: FireRequest): Promise<FiredTick[]> {
    const { now } = request;
    const fired: FiredTick[] = [];
    const firedJobs: { queue: string; runAt: number }[] = [];
    const broken: { id: string; error: string }[] = [];
    await this.deps.transaction(async (c) => {
      broken.length = 0;
      const due = (await c.query(sql.SELECT_DUE_SCHEDULES, [now, request.limit])).rows.map(toScheduleRow);
      if (due.length === 0) return;
      const busy = new Set(
        (await c.query(sql.SCHEDULES_WITH_UNFINISHED_JOBS, [due.map((s) => s.id)])).rows.map(
          (r) => r.schedule_id,
        ),
      );
      for (const schedule of due) {
        const planned = planOrBreak(schedule, busy.has(schedule.id), request);
        if ("broken" in planned) {
          await c.query(sql.BREAK_SCHEDULE, [schedule.id, planned.broken, now]);
          broken.push({ id: schedule.id, error: planned.broken });
          continue;
        }
        const plan = planned.plan;
        const recorded = new Map<number, string | null>();
        if (plan.ticks.length > 0) {
          const o = schedule.jobOptions;
          const rows = (
            await c.query(sql.RECORD_TICKS, [
              schedule.id,
              plan.ticks.map((t) => t.nominalAt),
              plan.ticks.map((t) => t.decision),
              plan.ticks.map((t) => t.reason),
              now,
              schedule.jobType,
              o.queue,
              schedule.payload,
              o.priority,
              o.maxAttempts,
              o.timeoutMs,
              o.backoff,
              o.stateful ? `schedule:${schedule.id}` : null,
            ])
          ).rows;
          for (const r of rows)
            recorded.set(Number(r.nominal_at), r.job_id === null ? null : String(r.job_id));
        }
        let lastFired: number | null = null;
        for (const tick of plan.ticks) {
          if (!recorded.has(tick.nominalAt)) continue; // another scheduler recorded this tick first
          const jobId = recorded.get(tick.nominalAt) ?? null;
          if (tick.decision === "fired") {
            lastFired = tick.nominalAt;
            firedJobs.push({ queue: schedule.jobOptions.queue, runAt: now });
          }
          fired.push({
            scheduleId: schedule.id,
            nominalAt: tick.nominalAt,
            decision: tick.decision,
            reason: tick.reason,
            jobId,
          });
        }
        await c.query(sql.ADVANCE_SCHEDULE, [
          plan.nextFireAt,
          lastFired,
          now,
          schedule.id,
          schedule.nextFireAt,
        ]);
      }
      await this.deps.notify(c, firedJobs);
    });
    this.deps.notifyLocal(firedJobs);
    for (const b of broken) request.onBroken?.(b.id, b.error);
    return fired;
  }

  async nextScheduleFireAt(): Promise<number | null> {
    const [row] = await this.deps.read(sql.NEXT_SCHEDULE_FIRE_AT);
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }

  async setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow> {
    const [row] = await this.deps.write(sql.SET_SCHEDULE_PAUSED, [id, paused, now]);
    if (!row) throw new NotFoundError(`schedule "${id}"`);
    return toScheduleRow(row);
  }

  async getSchedule(id: string): Promise<ScheduleRow | null> {
    const [row] = await this.deps.read(sql.SELECT_SCHEDULE, [id]);
    return row ? toScheduleRow(row) : null;
  }

  async listSchedules(): Promise<ScheduleRow[]> {
    return (await this.deps.read(sql.LIST_SCHEDULES)).map(toScheduleRow);
  }

  async listTicks(scheduleId: string, options: { limit?: number; since?: number } = {}): Promise<TickRow[]> {
    const rows = await this.deps.read(sql.LIST_TICKS, [scheduleId, options.since ?? 0, options.limit ?? 100]);
    return rows.map(toTickRow);
  }
}
