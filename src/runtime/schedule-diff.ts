import { describeTrigger } from "../core/triggers.ts";
import type { ScheduleDefinitionRow } from "../store/ports/rows.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";
import { type DeployDecision, decideDeploy } from "../store/shared/schedule-deploys.ts";
import { planScheduleSync } from "../store/shared/schedule-sync.ts";
import { codeDeclaration } from "./code-deploy.ts";

/** What starting this code would do to the stored schedules: `tickflow schedules diff`. */
export interface ScheduleDiff {
  codeHash: string;
  /** Where this code would stand among the versions seen (an `older` one changes nothing). */
  deploy: DeployDecision;
  /** False when a newer code version is live: starting this code writes no schedule. */
  applies: boolean;
  create: { key: string; job: string; trigger: string }[];
  change: { key: string; fields: string[] }[];
  remove: { key: string; job: string }[];
  /** Schedules of disabled flows that start() pauses. */
  pause: string[];
  /** Declared in code but stored as runtime schedules: left as they are. */
  conflicts: string[];
}

/** Read-only: the same planner syncSchedules applies, on what the store holds now. */
export async function diffSchedules(
  queries: StoreQueries,
  rows: readonly ScheduleDefinitionRow[],
  now: number,
): Promise<ScheduleDiff> {
  const declaration = codeDeclaration(rows);
  const stored = await queries.listSchedules({ source: "code" });
  const declared = new Set(rows.map((r) => r.id));
  const runtime = (await queries.listSchedules({ source: "runtime" })).filter((r) => declared.has(r.id));
  const plan = planScheduleSync(stored, new Set(runtime.map((r) => r.id)), rows);
  const live = new Set(await queries.liveDeployHashes(now - declaration.staleMs));
  const deploy = decideDeploy(await queries.listScheduleDeploys(), declaration, live);
  const pause: string[] = [];
  for (const flow of await queries.listFlows()) {
    if (flow.enabled || flow.removedAt !== null || flow.scheduleId === null) continue;
    const schedule = await queries.getSchedule(flow.scheduleId);
    if (schedule && !schedule.paused) pause.push(schedule.id);
  }
  return {
    codeHash: declaration.codeHash,
    deploy,
    applies: deploy.role === "newest",
    create: plan.create.map((d) => ({ key: d.id, job: d.jobType, trigger: describeTrigger(d.trigger) })),
    change: plan.update.map((u) => ({ key: u.def.id, fields: u.changed })),
    remove: plan.remove.map((r) => ({ key: r.id, job: r.jobType })),
    pause,
    conflicts: plan.conflicts,
  };
}
