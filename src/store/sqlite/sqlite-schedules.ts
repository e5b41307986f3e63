import { NotFoundError } from "../../errors.ts";
import type { ScheduleDefinitionRow, ScheduleRow } from "../ports/rows.ts";
import type {
  FiredTick,
  FireRequest,
  ScheduleStore,
  SyncReport,
  UpsertResult,
} from "../ports/schedule-store.ts";
import { toScheduleRow } from "../shared/rows.ts";
import { planOrBreak } from "../shared/schedule-broken.ts";
import type { CodeDeclaration } from "../shared/schedule-deploys.ts";
import { storableScheduleDefs } from "../shared/storable-jobs.ts";
import type { Row, SqliteDeps } from "./sqlite-deps.ts";
import { SqliteScheduleWrites } from "./sqlite-schedule-writes.ts";
import { INSERT_FIRED_JOB, insertFiredJobValues, SELECT_SCHEDULE, unfinishedState } from "./sqlite-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

const DUE_SCHEDULES =
  "SELECT * FROM schedules WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at LIMIT ?";
const HAS_UNFINISHED_JOB = `SELECT 1 FROM jobs WHERE schedule_id = ? AND ${unfinishedState()} LIMIT 1`;
/** The tick primary key (schedule_id, nominal_at) is the exactly-once guarantee. */
const INSERT_TICK = `INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (schedule_id, nominal_at) DO NOTHING`;
const SET_TICK_JOB = "UPDATE schedule_ticks SET job_id = ? WHERE schedule_id = ? AND nominal_at = ?";
const ADVANCE_SCHEDULE = `UPDATE schedules SET next_fire_at = ?, last_fire_at = coalesce(?, last_fire_at), updated_at = ?
       WHERE id = ? AND next_fire_at = ?`;
/** Sets a schedule aside (see schedule-broken.ts): never due again until its definition is synced. */
const BREAK_SCHEDULE =
  "UPDATE schedules SET broken_error = ?, broken_at = ?, next_fire_at = NULL, updated_at = ? WHERE id = ?";
const SET_PAUSED = "UPDATE schedules SET paused = ?, updated_at = ? WHERE id = ?";

/**
 * `store.schedules` on SQLite: the schedules and schedule_ticks tables, and the jobs a tick fires
 * (in the tick's transaction).
 */
export class SqliteSchedules implements ScheduleStore {
  private readonly writes: SqliteScheduleWrites;

  constructor(private readonly deps: SqliteDeps) {
    this.writes = new SqliteScheduleWrites(deps);
  }

  async syncSchedules(
    given: readonly ScheduleDefinitionRow[],
    now: number,
    declaration?: CodeDeclaration,
  ): Promise<SyncReport> {
    return this.writes.sync(storableScheduleDefs(given), now, declaration);
  }

  async upsertSchedule(def: ScheduleDefinitionRow, now: number): Promise<UpsertResult> {
    const [safe] = storableScheduleDefs([def]);
    return this.writes.upsert(safe!, now);
  }

  removeSchedule(id: string): Promise<void> {
    return this.writes.remove(id);
  }

  touchDeploy(codeHash: string, processId: string, now: number): Promise<void> {
    return this.writes.touch(codeHash, processId, now);
  }

  releaseDeploy(processId: string, now: number): Promise<void> {
    return this.writes.release(processId, now);
  }

  async fireDueSchedules(request: FireRequest): Promise<FiredTick[]> {
    const { now } = request;
    const { stmt } = this.deps;
    const [due, unfinished, insertTick, insertJob, setTickJob, advance] = [
      DUE_SCHEDULES,
      HAS_UNFINISHED_JOB,
      INSERT_TICK,
      INSERT_FIRED_JOB,
      SET_TICK_JOB,
      ADVANCE_SCHEDULE,
    ].map(stmt) as [ReturnType<typeof stmt>, ...ReturnType<typeof stmt>[]];
    const fired: FiredTick[] = [];
    const firedQueues: string[] = [];
    const broken: { id: string; error: string }[] = [];
    await this.deps.write(() => {
      broken.length = 0;
      for (const row of due.all(now, request.limit) as Row[]) {
        const schedule = toScheduleRow(row);
        const planned = planOrBreak(schedule, unfinished!.get(schedule.id) !== undefined, request);
        if ("broken" in planned) {
          stmt(BREAK_SCHEDULE).run(planned.broken, now, now, schedule.id);
          broken.push({ id: schedule.id, error: planned.broken });
          continue;
        }
        const plan = planned.plan;
        let lastFired: number | null = null;
        for (const tick of plan.ticks) {
          const inserted =
            insertTick!.run(schedule.id, tick.nominalAt, tick.decision, tick.reason, now).changes === 1;
          if (!inserted) continue;
          let jobId: string | null = null;
          if (tick.decision === "fired") {
            const info = insertJob!.run(...insertFiredJobValues(schedule, tick.nominalAt, now));
            jobId = String(info.lastInsertRowid);
            setTickJob!.run(jobId, schedule.id, tick.nominalAt);
            lastFired = tick.nominalAt;
            firedQueues.push(schedule.jobOptions.queue);
          }
          const { decision, reason, nominalAt } = tick;
          fired.push({ scheduleId: schedule.id, nominalAt, decision, reason, jobId });
        }
        advance!.run(plan.nextFireAt, lastFired, now, schedule.id, schedule.nextFireAt);
      }
    });
    this.deps.hint(firedQueues.map((queue) => ({ queue, runAt: now })));
    for (const b of broken) request.onBroken?.(b.id, b.error);
    return fired;
  }

  async setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow> {
    return this.deps.write(() => {
      const changes = this.deps.stmt(SET_PAUSED).run(paused ? 1 : 0, now, id).changes;
      if (changes === 0) throw new NotFoundError(`schedule "${id}"`);
      return toScheduleRow(this.deps.stmt(SELECT_SCHEDULE).get(id) as Row);
    });
  }
}
