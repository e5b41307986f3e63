import type { Tickflow } from "../../src/tickflow.ts";
import type { FakeClock } from "../helpers/fake-clock.ts";

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Real heartbeat beats on a fake clock: for each of `minutes` minutes from `firstMinute`, moves the
 * clock `latenessMs` past the minute, waits for the scheduler to fire the tick and a worker to run
 * the timed job, then moves the clock by the event delay and waits for the event job to run.
 */
export async function driveHeartbeat(
  tickflow: Tickflow,
  clock: FakeClock,
  firstMinute: number,
  minutes: number,
  options: { latenessMs?: number; eventDelayMs?: number } = {},
): Promise<void> {
  const lateness = options.latenessMs ?? 200;
  for (let i = 0; i < minutes; i++) {
    const minute = firstMinute + i * 60_000;
    clock.set(minute + lateness);
    await tickflow.syncSchedules(); // wakes the scheduler now rather than within its 1 s nap
    await until(`the ${new Date(minute).toISOString()} beat`, async () => {
      const [tick] = await tickflow.listTicks("heartbeat", { limit: 1 });
      return tick?.nominalAt === minute && tick.startedAt !== null;
    });
    const [tick] = await tickflow.listTicks("heartbeat", { limit: 1 });
    clock.advance(options.eventDelayMs ?? 10_000);
    await until("its event beat", async () => {
      const [event] = await tickflow.store.queries.listJobs({ type: "heartbeat.event", limit: 1 });
      const payload = event?.payload as { timedJobId?: string } | undefined;
      return payload?.timedJobId === tick!.jobId && event!.state === "succeeded";
    });
  }
}
