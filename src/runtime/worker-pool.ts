import { clampTimerMs } from "../core/limits.ts";
import type { TickflowEvents } from "../events.ts";
import { ThreadPool } from "../isolation/thread-pool.ts";
import type { Logger } from "../logger.ts";
import type { AttemptFinish, ClaimedJob, LeaseGrant } from "../store/ports/job-store.ts";
import type { Store } from "../store/store.ts";
import { AttemptAbort, AttemptControl, type AttemptDeps, type AttemptResult, runAttempt } from "./attempt.ts";
import { runLoop } from "./loop.ts";
import type { JobRegistry } from "./registry.ts";
import { Waker } from "./waker.ts";

export interface WorkerPoolOptions {
  store: Store;
  registry: JobRegistry;
  events: TickflowEvents;
  logger: Logger;
  workerId: string;
  /** Jobs run at once by this pool. */
  concurrency: number;
  /** Queues to claim from; all when undefined. */
  queues: string[] | undefined;
  leaseMs: number;
  /** The polling floor: how often an idle pool looks for work other processes added. */
  pollIntervalMs: number;
  now(): number;
  random01(): number;
}

interface Running {
  job: ClaimedJob;
  controller: AttemptControl;
  done: Promise<void>;
}

/** Most finishes written in one statement: past a few hundred rows a batch only grows the plan's risk. */
const MAX_FINISH_BATCH = 200;
/** Leases held at most, as a multiple of concurrency: running handlers plus finishes not yet written. */
const MAX_HELD_FACTOR = 2;

/**
 * Claims jobs into free slots and runs them. The loop is: claim → sleep until a hint, a free
 * slot, the next due job, or the poll interval. The stages overlap so a fast job costs no round
 * trip of its own: a handler's slot is free as soon as it settles, and the next claim goes out
 * while the finishes are still being written; finishes are written in batches, one statement in
 * flight at a time while the next batch accumulates.
 */
export class WorkerPool {
  /** Attempts whose lease we hold: handlers running, and settled ones whose finish is not written yet. */
  private readonly running = new Map<string, Running>();
  /** Handlers running now: the slots in use. */
  private executing = 0;
  private readonly waker = new Waker();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private finishQueue: { finish: AttemptFinish; type: string }[] = [];
  /**
   * One waiter per batch-to-be: waiters[k] settles when queue items [k·MAX, (k+1)·MAX) are written,
   * as flush() always takes the first MAX. A waiter per batch, not a promise per job.
   */
  private finishWaiters: Waiter[] = [];
  private flushScheduled = false;
  private flushing = false;
  private saturated = false;
  private endGrace: (() => void) | undefined;
  private hurried = false;
  /** The last claim came back short: nothing due was left for this pool (see reserveSlot). */
  private drained = false;
  /** Slots reserveSlot() took whose insert has not come back yet, and who waits for them (stop). */
  private reserved = 0;
  private reservationsSettled: Waiter | undefined;
  /** Releases of jobs adopted while stopping, which stop() waits for. */
  private readonly handingBack = new Set<Promise<void>>();

  /** What every attempt of this pool shares (one object, not one per job). */
  private readonly attemptDeps: AttemptDeps;

  constructor(private readonly options: WorkerPoolOptions) {
    const { workerId, logger, events, now, random01, store } = options;
    this.attemptDeps = {
      workerId,
      logger,
      events,
      now,
      random01,
      loadState: (key) => store.queries.loadJobState(key),
      // Every slot may hold a thread job: a thread per slot at most, started on first use.
      threads: new ThreadPool({ maxThreads: options.concurrency }),
    };
  }

  get activeCount(): number {
    return this.running.size;
  }

  start(): void {
    const { store, queues } = this.options;
    this.unsubscribe = store.onJobsInserted((hint) => {
      if (queues && hint.queues.length > 0 && !hint.queues.some((q) => queues.includes(q))) return;
      this.waker.wakeBy(hint.earliestRunAt, this.options.now());
    });
    // Renew leases at a third of their length: two renewals can fail before the lease lapses.
    const renewEvery = Math.max(10, Math.floor(this.options.leaseMs / 3));
    this.leaseTimer = setInterval(() => void this.renewLeases(), clampTimerMs(renewEvery));
    this.leaseTimer.unref();
    this.loop = this.run();
  }

  private run(): Promise<void> {
    return runLoop({
      tick: () => this.tick(),
      waker: this.waker,
      stopping: () => this.stopping,
      onError: (error) => this.options.events.emit("worker:error", { error, where: "claim" }),
      errorDelayMs: this.options.pollIntervalMs,
    });
  }

  /** Claims into free slots; returns how long to sleep before the next claim. */
  async tick(): Promise<number> {
    const { store, concurrency, queues, leaseMs, workerId, pollIntervalMs } = this.options;
    // Free slots — but a database slow to take our finishes must not make us hoard leases.
    const limit = Math.min(concurrency - this.executing, MAX_HELD_FACTOR * concurrency - this.running.size);
    if (limit <= 0) {
      this.saturated = true;
      return Number.POSITIVE_INFINITY; // a finishing job wakes us
    }
    const now = this.options.now();
    const jobs = await store.jobs.claimJobs({ workerId, queues, limit, leaseMs, now });
    // Decided before the jobs start: one that settles at once must see it and wake us.
    this.saturated = jobs.length === limit;
    this.drained = !this.saturated;
    for (const job of jobs) this.startJob(job);
    if (this.saturated) return Number.POSITIVE_INFINITY;
    const next = await store.queries.nextRunAt(queues);
    if (next === null) return pollIntervalMs;
    // Due work we could not claim is held back (its state key is busy) or was taken by another
    // process: poll for it rather than spin; a finishing keyed job here wakes us sooner.
    if (jobs.length === 0 && next <= now) return pollIntervalMs;
    return Math.min(pollIntervalMs, Math.max(0, next - this.options.now()));
  }

  private startJob(job: ClaimedJob): void {
    // Claimed again while an older attempt still runs here: that attempt's lease is gone (it
    // expired and was rescued, or its claim was lost in a database crash). Abort it, as a failed
    // renewal would, and track the new attempt in its place.
    this.running.get(job.id)?.controller.abort(new AttemptAbort("lease_lost"));
    const controller = new AttemptControl();
    this.executing++;
    this.running.set(job.id, { job, controller, done: this.execute(job, controller) });
  }

  /** One attempt from start to its finish being written (or handed back); never rejects. */
  private async execute(job: ClaimedJob, controller: AttemptControl): Promise<void> {
    try {
      let result: AttemptResult;
      try {
        result = await runAttempt(job, this.options.registry.find(job.type), controller, this.attemptDeps);
      } finally {
        this.freeSlot();
      }
      await this.settle(job, result);
    } catch (error) {
      this.options.events.emit("worker:error", { error: error as Error, where: `finish job ${job.id}` });
    } finally {
      if (this.running.get(job.id)?.job === job) this.running.delete(job.id);
      if (this.saturated || this.stopping || job.stateKey !== null) this.waker.wake();
    }
  }

  /**
   * Takes a slot for a job this process is about to enqueue, to be inserted already leased to this
   * worker (Store.insertJobs with leaseTo) and started without a claim's round trip. Only when the
   * pool would claim that job at once anyway — running, serving its queue, a slot free, and its
   * last claim came back short (nothing due was left), so the job jumps no queue. Returns the
   * lease to insert with, or undefined; after a lease, call adopt() or unreserve().
   */
  reserveSlot(queue: string): LeaseGrant | undefined {
    const { concurrency, queues, workerId, leaseMs } = this.options;
    if (!this.loop || this.stopping || !this.drained) return undefined;
    if (queues && !queues.includes(queue)) return undefined;
    if (this.executing >= concurrency || this.running.size >= MAX_HELD_FACTOR * concurrency) return undefined;
    this.executing++;
    this.reserved++;
    return { workerId, leaseMs };
  }

  /** Runs a job inserted leased to this worker, in the slot reserveSlot() took for it. */
  adopt(job: ClaimedJob): void {
    this.executing--; // startJob takes the slot again
    this.endReservation();
    if (!this.stopping) {
      this.startJob(job);
      return;
    }
    // Stopping since the reservation: hand the job back at once rather than run it (stop() waits).
    const { store, workerId, events, now } = this.options;
    const release: Promise<void> = store.jobs
      .releaseJobs(workerId, [leaseOf(job)], now())
      .then(
        () => undefined,
        (error: unknown) =>
          events.emit("worker:error", { error: error as Error, where: `release job ${job.id}` }),
      )
      .finally(() => this.handingBack.delete(release));
    this.handingBack.add(release);
  }

  /** Gives back a slot reserveSlot() took, when the job was not inserted leased after all. */
  unreserve(): void {
    this.endReservation();
    this.freeSlot();
  }

  private endReservation(): void {
    this.reserved--;
    if (this.reserved === 0) {
      this.reservationsSettled?.resolve();
      this.reservationsSettled = undefined;
    }
  }

  /** A handler settled: its slot takes a new job now, while its finish waits for the next write. */
  private freeSlot(): void {
    this.executing--;
    if (this.saturated) this.waker.wake();
  }

  private settle(job: ClaimedJob, result: AttemptResult): Promise<void> {
    if (result.kind === "release") {
      return this.options.store.jobs
        .releaseJobs(this.options.workerId, [leaseOf(job)], this.options.now())
        .then(() => undefined);
    }
    if (this.finishQueue.length % MAX_FINISH_BATCH === 0) this.finishWaiters.push(waiter());
    this.finishQueue.push({ finish: result.finish, type: job.type });
    this.scheduleFlush();
    return (this.finishWaiters.at(-1) as Waiter).promise;
  }

  /**
   * One finish write in flight at a time; finishes settling meanwhile form the next batch, written
   * as soon as the current one returns. setImmediate lets the rest of this event-loop turn join.
   * (Two in flight measured no faster on 2 cores: the database is busy either way.)
   */
  private scheduleFlush(): void {
    if (this.flushing || this.flushScheduled || this.finishQueue.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    this.flushing = true;
    const batch = this.finishQueue.splice(0, MAX_FINISH_BATCH);
    const written = this.finishWaiters.shift();
    try {
      const results = await this.options.store.jobs.finishAttempts(batch.map((b) => b.finish));
      for (const [i, result] of results.entries()) {
        this.report(batch[i]!.finish, batch[i]!.type, result === "lease_lost");
      }
    } catch (error) {
      // The leases stay with us until they expire; the reaper makes these jobs run again.
      this.options.events.emit("worker:error", { error: error as Error, where: "finish" });
    } finally {
      written?.resolve();
      this.flushing = false;
      this.scheduleFlush();
    }
  }

  private report(finish: AttemptFinish, type: string, leaseLost: boolean): void {
    const { events } = this.options;
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
      maxAttempts: this.running.get(jobId)?.job.maxAttempts ?? attempt,
      durationMs,
      outcome: finish.outcome,
      error: Object.assign(new Error(finish.error?.message ?? "failed"), {
        stack: finish.error?.stack ?? undefined,
      }),
      retryAt: finish.next.state === "retry_scheduled" ? finish.next.runAt : null,
    });
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size === 0) return;
    const { store, workerId, leaseMs } = this.options;
    try {
      const leases = [...this.running.values()].map((r) => leaseOf(r.job));
      const lost = await store.jobs.extendLeases(workerId, leases, leaseMs, this.options.now());
      for (const jobId of lost) this.running.get(jobId)?.controller.abort(new AttemptAbort("lease_lost"));
    } catch (error) {
      this.options.events.emit("worker:error", { error: error as Error, where: "renew leases" });
    }
  }

  /** Ends a stop's grace period now: running jobs are aborted and released at once. */
  abortNow(): void {
    this.hurried = true;
    this.endGrace?.();
  }

  /**
   * Graceful stop: claim nothing more, give running jobs `graceMs` to finish, then abort the rest
   * through their signal and release their leases so another worker takes them at once.
   */
  async stop(graceMs: number): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.unsubscribe?.();
      this.waker.wake();
    }
    await this.loop;
    const drained = Promise.all([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      this.endGrace = () => resolve("timeout");
      timer = setTimeout(this.endGrace, this.hurried ? 0 : clampTimerMs(graceMs));
    });
    const result = await Promise.race([drained.then(() => "drained" as const), deadline]);
    clearTimeout(timer);
    if (result === "timeout") {
      for (const r of this.running.values()) r.controller.abort(new AttemptAbort("shutdown"));
      await Promise.all([...this.running.values()].map((r) => r.done));
    }
    clearInterval(this.leaseTimer);
    // Enqueues that reserved a slot before the stop: their jobs are handed back, not left leased.
    if (this.reserved > 0) {
      this.reservationsSettled ??= waiter();
      await this.reservationsSettled.promise;
    }
    await Promise.all(this.handingBack);
    await this.attemptDeps.threads.destroy();
  }
}

const leaseOf = (job: ClaimedJob) => ({ jobId: job.id, leaseToken: job.leaseToken });

interface Waiter {
  promise: Promise<void>;
  resolve(): void;
}

function waiter(): Waiter {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
