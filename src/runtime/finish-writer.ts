import type { TickflowEvents } from "../events.ts";
import type { AttemptFinish, JobStore } from "../store/ports/job-store.ts";

/** Most finishes written in one statement: past a few hundred rows a batch only grows the plan's risk. */
const MAX_FINISH_BATCH = 200;

interface Queued {
  finish: AttemptFinish;
  type: string;
  maxAttempts: number;
}

/**
 * A worker pool's finish writes, batched: one write in flight at a time; finishes settling
 * meanwhile form the next batch, written as soon as the current one returns. setImmediate lets the
 * rest of an event-loop turn join. (Two in flight measured no faster on 2 cores: the database is
 * busy either way.) Reports each outcome as its event once written.
 */
export class FinishWriter {
  private queue: Queued[] = [];
  /**
   * One waiter per batch-to-be: waiters[k] settles when queue items [k·MAX, (k+1)·MAX) are written,
   * as flush() always takes the first MAX. A waiter per batch, not a promise per job.
   */
  private waiters: Waiter[] = [];
  private scheduled = false;
  private flushing = false;

  constructor(
    private readonly jobs: JobStore,
    private readonly events: TickflowEvents,
  ) {}

  /** Queues a finish; settles once it is written (or its write failed and was reported). */
  write(finish: AttemptFinish, type: string, maxAttempts: number): Promise<void> {
    if (this.queue.length % MAX_FINISH_BATCH === 0) this.waiters.push(waiter());
    this.queue.push({ finish, type, maxAttempts });
    this.schedule();
    return (this.waiters.at(-1) as Waiter).promise;
  }

  private schedule(): void {
    if (this.flushing || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    this.flushing = true;
    const batch = this.queue.splice(0, MAX_FINISH_BATCH);
    const written = this.waiters.shift();
    try {
      const results = await this.jobs.finishAttempts(batch.map((b) => b.finish));
      for (const [i, result] of results.entries()) this.report(batch[i] as Queued, result === "lease_lost");
    } catch (error) {
      // The leases stay with us until they expire; the reaper makes these jobs run again.
      this.events.emit("worker:error", { error: error as Error, where: "finish" });
    } finally {
      written?.resolve();
      this.flushing = false;
      this.schedule();
    }
  }

  private report({ finish, type, maxAttempts }: Queued, leaseLost: boolean): void {
    const { events } = this;
    const { jobId, attempt } = finish;
    if (leaseLost) {
      events.emit("job:lease-lost", { jobId, type, attempt });
      return;
    }
    const durationMs = finish.endedAt - finish.startedAt;
    if (finish.outcome === "succeeded") {
      events.emit("job:succeed", { jobId, type, attempt, durationMs });
      return;
    }
    events.emit("job:fail", {
      jobId,
      type,
      attempt,
      maxAttempts,
      durationMs,
      outcome: finish.outcome,
      error: Object.assign(new Error(finish.error?.message ?? "failed"), {
        stack: finish.error?.stack ?? undefined,
      }),
      retryAt: finish.next.state === "retry_scheduled" ? finish.next.runAt : null,
    });
  }
}

export interface Waiter {
  promise: Promise<void>;
  resolve(): void;
}

export function waiter(): Waiter {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
