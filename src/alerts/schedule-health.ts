import type { StoreQueries } from "../store/ports/store-queries.ts";
import type { ScheduleHealthView } from "./observe.ts";

/**
 * Schedule health for the alert rules, from the newest tick of each stored schedule and the job
 * it fired: `paused`, `never_ran`, `missed` (the newest tick was missed), `failing` (its job
 * failed or is retrying after a failure), else `ok`.
 */
export async function scheduleHealthViews(queries: StoreQueries): Promise<ScheduleHealthView[]> {
  const schedules = await queries.listSchedules();
  const latest = await queries.latestTicks(
    schedules.map((s) => s.id),
    1,
  );
  const views: ScheduleHealthView[] = [];
  for (const s of schedules) {
    const tick = latest.get(s.id)?.[0] ?? null;
    const job = tick?.jobId ? await queries.getJob(tick.jobId) : null;
    const failed = job !== null && (job.state === "discarded" || job.state === "retry_scheduled");
    const health = s.paused
      ? "paused"
      : tick === null
        ? "never_ran"
        : tick.decision === "missed"
          ? "missed"
          : failed
            ? "failing"
            : "ok";
    const at = tick ? new Date(tick.nominalAt).toISOString() : "";
    const summary =
      health === "failing"
        ? `schedule ${s.id} is failing: its ${at} run failed${job?.lastError ? `: ${job.lastError}` : ""}`
        : health === "missed"
          ? `schedule ${s.id} missed its ${at} tick`
          : `schedule ${s.id} is ${health}`;
    views.push({ id: s.id, health, summary });
  }
  return views;
}
