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
import type { PostgresDeps } from "./postgres-deps.ts";
import { PostgresScheduleWrites } from "./postgres-schedule-writes.ts";
import { INSERT_FIRED_JOBS, UNFINISHED } from "./postgres-sql.ts";

// ── statements ──────────────────────────────────────────────────────────────

/** Sets a schedule aside (see schedule-broken.ts): never due again until its definition is synced. */
const BREAK_SCHEDULE = `UPDATE schedules SET broken_error = $2, broken_at = $3, next_fire_at = NULL,
  updated_at = $3
WHERE id = $1`;

/** SKIP LOCKED: a schedule another scheduler is firing right now is its business, not ours. */
const SELECT_DUE_SCHEDULES = `SELECT * FROM schedules
WHERE next_fire_at IS NOT NULL AND next_fire_at <= $1
ORDER BY next_fire_at, id
LIMIT $2
FOR UPDATE SKIP LOCKED`;

const SCHEDULES_WITH_UNFINISHED_JOBS = `SELECT DISTINCT schedule_id FROM jobs
WHERE schedule_id = ANY($1::text[]) AND schedule_id IS NOT NULL AND state IN ${UNFINISHED}`;

/**
 * Records one schedule's planned ticks. The tick primary key (schedule_id, nominal_at) is the
 * exactly-once guarantee: a tick another scheduler already recorded is skipped, and only inserted
 * `fired` ticks get a job. Job ids come from the sequence in the tick insert, so the tick row
 * points at its job without a second update.
 */
const RECORD_TICKS = `WITH t AS MATERIALIZED (
  SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS t(nominal_at, decision, reason, ord)
),
ticks AS (
  INSERT INTO schedule_ticks (schedule_id, nominal_at, decision, reason, decided_at, job_id)
  SELECT $1, nominal_at, decision, reason, $5, CASE WHEN decision = 'fired' THEN nextval('jobs_id_seq') END
  FROM t ORDER BY ord
  ON CONFLICT (schedule_id, nominal_at) DO NOTHING
  RETURNING nominal_at, job_id
),
fired AS (
  ${INSERT_FIRED_JOBS}
)
SELECT nominal_at, job_id FROM ticks`;

const ADVANCE_SCHEDULE = `UPDATE schedules SET next_fire_at = $1, last_fire_at = coalesce($2, last_fire_at),
  updated_at = $3
WHERE id = $4 AND next_fire_at = $5`;

const SET_SCHEDULE_PAUSED = "UPDATE schedules SET paused = $2, updated_at = $3 WHERE id = $1 RETURNING *";

/**
 * `store.schedules` on PostgreSQL: the schedules and schedule_ticks tables, and the jobs a tick
 * fires (in the tick's transaction).
 */
export class PostgresSchedules implements ScheduleStore {
  private readonly writes: PostgresScheduleWrites;

  constructor(private readonly deps: PostgresDeps) {
    this.writes = new PostgresScheduleWrites(deps);
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
    const fired: FiredTick[] = [];
    const firedJobs: { queue: string; runAt: number }[] = [];
    const broken: { id: string; error: string }[] = [];
    await this.deps.transaction(async (c) => {
      broken.length = 0;
      const due = (await c.query(SELECT_DUE_SCHEDULES, [now, request.limit])).rows.map(toScheduleRow);
      if (due.length === 0) return;
      const busy = new Set(
        (await c.query(SCHEDULES_WITH_UNFINISHED_JOBS, [due.map((s) => s.id)])).rows.map(
          (r) => r.schedule_id,
        ),
      );
      for (const schedule of due) {
        const planned = planOrBreak(schedule, busy.has(schedule.id), request);
        if ("broken" in planned) {
          await c.query(BREAK_SCHEDULE, [schedule.id, planned.broken, now]);
          broken.push({ id: schedule.id, error: planned.broken });
          continue;
        }
        const plan = planned.plan;
        const recorded = new Map<number, string | null>();
        if (plan.ticks.length > 0) {
          const o = schedule.jobOptions;
          const rows = (
            await c.query(RECORD_TICKS, [
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
        await c.query(ADVANCE_SCHEDULE, [plan.nextFireAt, lastFired, now, schedule.id, schedule.nextFireAt]);
      }
      await this.deps.notify(c, firedJobs);
    });
    this.deps.notifyLocal(firedJobs);
    for (const b of broken) request.onBroken?.(b.id, b.error);
    return fired;
  }

  async setSchedulePaused(id: string, paused: boolean, now: number): Promise<ScheduleRow> {
    const [row] = await this.deps.write(SET_SCHEDULE_PAUSED, [id, paused, now]);
    if (!row) throw new NotFoundError(`schedule "${id}"`);
    return toScheduleRow(row);
  }
}
