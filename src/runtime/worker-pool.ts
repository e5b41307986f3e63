import type { LimitRule } from "../core/job-limits.ts";
import { clampTimerMs } from "../core/limits.ts";
import type { TickflowEvents } from "../events.ts";
import { ThreadPool } from "../isolation/thread-pool.ts";
import type { Logger } from "../logger.ts";
import type { ClaimedJob, LeaseGrant } from "../store/ports/job-store.ts";
import type { Store } from "../store/store.ts";
import { AttemptAbort, AttemptControl, type AttemptDeps, type AttemptResult, runAttempt } from "./attempt.ts";
import { FinishWriter, type Waiter, waiter } from "./finish-writer.ts";
import { runLoop } from "./loop.ts";
import { PrefetchQueue } from "./prefetch-queue.ts";
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
  /** Jobs claimed ahead of free slots, at most (default: concurrency; 0 turns prefetch off). */
  prefetch?: number;
  now(): number;
  /** Cluster-wide limits, held by the store in every claim (core/job-limits.ts). */
  rules?(): readonly LimitRule[];
  random01(): number;
}

interface Running {
  job: ClaimedJob;
  controller: AttemptControl;
  done: Promise<void>;
}

/** Settled handlers remembered for the event-loop watchdog: the last few seconds, at most this many. */
const RECENT_SETTLED_KEPT = 256;
const RECENT_SETTLED_MS = 10_000;
/**
 * Leases held at most beyond the prefetched ones, as a multiple of concurrency: running handlers
 * plus finishes not yet written.
 */
const MAX_HELD_FACTOR = 2;

/**
 * Claims jobs and runs them. The loop is: claim → sleep until a hint, a free slot, the next due
 * job, or the poll interval. The stages overlap so a fast job costs no round trip of its own:
 * claims go out ahead of free slots, in batches (up to `prefetch` jobs wait leased in a local
 * queue, and a freed slot starts the next one at once); finishes are written in batches, one
 * statement in flight at a time while the next batch accumulates (FinishWriter).
 *
 * Prefetched jobs are leased like running ones: renewed with them, handed back unstarted on
 * stop(), recovered by lease expiry after a crash (counted as an attempt, as for a running job).
 * Fairness: the local queue is bounded, kept in claim order (a higher-priority job from a later
 * claim starts before lower ones held), refilled only once it is half empty, and a job held
 * longer than a renewal period is handed back — this pool is busy with slow jobs, and an idle
 * process should run it instead.
 */
export class WorkerPool {
  /** Attempts whose lease we hold: handlers running, and settled ones whose finish is not written yet. */
  private readonly running = new Map<string, Running>();
  /** Claimed, leased to us, not started yet. */
  private readonly prefetched = new PrefetchQueue();
  private readonly prefetch: number;
  /** Until when (pool clock) this pool claims only into free slots: it handed back stale prefetched jobs. */
  private prefetchPausedUntil = Number.NEGATIVE_INFINITY;
  /** Handlers running now: the slots in use. */
  private executing = 0;
  /** Handlers that settled in the last few seconds, with when (performance.now()): see typesRunningSince. */
  private recentlySettled: { type: string; at: number }[] = [];
  private readonly waker = new Waker();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private readonly renewEveryMs: number;
  private readonly finishes: FinishWriter;
  private saturated = false;
  private endGrace: (() => void) | undefined;
  private hurried = false;
  /** The last claim came back short: nothing due was left for this pool (see reserveSlot). */
  private drained = false;
  /** Slots reserveSlot() took whose insert has not come back yet, and who waits for them (stop). */
  private reserved = 0;
  private reservationsSettled: Waiter | undefined;
  /** Releases of jobs adopted while stopping, and of prefetched ones, which stop() waits for. */
  private readonly handingBack = new Set<Promise<void>>();

  /** What every attempt of this pool shares (one object, not one per job). */
  private readonly attemptDeps: AttemptDeps;

  constructor(private readonly options: WorkerPoolOptions) {
    const { workerId, logger, events, now, random01, store, concurrency } = options;
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
    this.prefetch = Math.max(0, Math.floor(options.prefetch ?? concurrency));
    this.finishes = new FinishWriter(store.jobs, events);
    // Renew leases at a third of their length: two renewals can fail before the lease lapses.
    this.renewEveryMs = Math.max(10, Math.floor(options.leaseMs / 3));
  }

  /** Leases held: running handlers, finishes not written yet, prefetched jobs. */
  get activeCount(): number {
    return this.running.size + this.prefetched.length;
  }

  /** Slots this pool runs handlers in. */
  get concurrency(): number {
    return this.options.concurrency;
  }

  /** The job types of the attempts this pool holds now (one entry per attempt). */
  runningTypes(): string[] {
    return [...this.running.values()].map((r) => r.job.type);
  }

  /**
   * Job types whose handler ran at some point since `since` (performance.now() ms): running now,
   * or settled since. The event-loop watchdog asks after a stall, when a synchronous handler that
   * blocked the loop may already have settled.
   */
  typesRunningSince(since: number): string[] {
    const settled = this.recentlySettled.filter((r) => r.at >= since).map((r) => r.type);
    return [...this.runningTypes(), ...settled];
  }

  start(): void {
    const { store, queues } = this.options;
    this.unsubscribe = store.onJobsInserted((hint) => {
      if (queues && hint.queues.length > 0 && !hint.queues.some((q) => queues.includes(q))) return;
      this.waker.wakeBy(hint.earliestRunAt, this.options.now());
    });
    this.leaseTimer = setInterval(() => void this.renewLeases(), clampTimerMs(this.renewEveryMs));
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

  /** How many jobs to claim now: free slots plus room in the local queue, within the lease bound. */
  private claimLimit(): number {
    const { concurrency } = this.options;
    const queued = this.prefetched.length;
    const prefetch = this.options.now() < this.prefetchPausedUntil ? 0 : this.prefetch;
    const want = concurrency - this.executing + prefetch - queued;
    // Refill a local queue only once it is half empty: claims of one or two jobs cost a round trip each.
    if (queued > 0 && want < Math.ceil(prefetch / 2)) return 0;
    // A database slow to take our finishes must not make us hoard leases.
    const room = MAX_HELD_FACTOR * concurrency + prefetch - this.running.size - queued;
    return Math.min(want, room);
  }

  /** Claims into free slots and the local queue; returns how long to sleep before the next claim. */
  async tick(): Promise<number> {
    const { store, queues, leaseMs, workerId, pollIntervalMs } = this.options;
    const limit = this.claimLimit();
    if (limit <= 0) {
      this.saturated = true;
      return Number.POSITIVE_INFINITY; // a finishing job wakes us
    }
    const now = this.options.now();
    const rules = this.options.rules?.();
    const jobs = await store.jobs.claimJobs({ workerId, queues, limit, leaseMs, now, rules });
    // Decided before the jobs start: one that settles at once must see it and wake us.
    this.saturated = jobs.length === limit;
    this.drained = !this.saturated;
    if (this.stopping) {
      this.handBack(jobs);
      return 0;
    }
    this.prefetched.add(jobs, now);
    this.startQueued();
    if (this.saturated) return Number.POSITIVE_INFINITY;
    const next = await store.queries.nextRunAt(queues);
    if (next === null) return pollIntervalMs;
    // Due work we could not claim is held back (its state key is busy) or was taken by another
    // process: poll for it rather than spin; a finishing keyed job here wakes us sooner.
    if (jobs.length === 0 && next <= now) return pollIntervalMs;
    return Math.min(pollIntervalMs, Math.max(0, next - this.options.now()));
  }

  /** Starts prefetched jobs into the free slots. */
  private startQueued(): void {
    while (this.executing < this.options.concurrency && !this.stopping) {
      const job = this.prefetched.shift();
      if (!job) return;
      job.startedAt = this.options.now(); // the attempt starts now, not when it was claimed
      this.startJob(job);
    }
  }

  /**
   * Gives claimed jobs back unstarted (stop(), or held too long); stop() waits for it. Prefetched
   * jobs leave no run row; an adopted one (`recorded`) keeps its `released` row, as before prefetch.
   */
  private handBack(jobs: readonly ClaimedJob[], recorded = false): void {
    if (jobs.length === 0) return;
    const { store, workerId, events, now } = this.options;
    const release: Promise<void> = store.jobs
      .releaseJobs(workerId, jobs.map(leaseOf), now(), { unstarted: !recorded })
      .then(
        () => undefined,
        (error: unknown) =>
          events.emit("worker:error", { error: error as Error, where: "release prefetched jobs" }),
      )
      .finally(() => this.handingBack.delete(release));
    this.handingBack.add(release);
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
        this.noteSettled(job.type);
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
    if (!this.loop || this.stopping || !this.drained || this.prefetched.length > 0) return undefined;
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
    this.handBack([job], true);
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

  private noteSettled(type: string): void {
    const at = performance.now();
    if (this.recentlySettled.length >= RECENT_SETTLED_KEPT) {
      this.recentlySettled = this.recentlySettled.filter((r) => at - r.at < RECENT_SETTLED_MS);
      if (this.recentlySettled.length >= RECENT_SETTLED_KEPT) this.recentlySettled.shift();
    }
    this.recentlySettled.push({ type, at });
  }

  /** A handler settled: its slot takes a prefetched job now, while its finish waits for the next write. */
  private freeSlot(): void {
    this.executing--;
    this.startQueued();
    if (this.saturated) this.waker.wake();
  }

  private settle(job: ClaimedJob, result: AttemptResult): Promise<void> {
    if (result.kind === "release") {
      return this.options.store.jobs
        .releaseJobs(this.options.workerId, [leaseOf(job)], this.options.now())
        .then(() => undefined);
    }
    return this.finishes.write(result.finish, job.type, job.maxAttempts);
  }

  /**
   * Renews the leases of running and prefetched jobs. Prefetched jobs held since before the last
   * renewal are handed back instead: slow handlers keep this pool's slots full, and another
   * process may be idle.
   */
  private async renewLeases(): Promise<void> {
    const { store, workerId, leaseMs, now } = this.options;
    const stale = this.stopping ? [] : this.prefetched.takeHeldBefore(now() - this.renewEveryMs);
    if (stale.length > 0) {
      // Claimed back by ourselves at once, they would only go round: prefetch rests for a lease period.
      this.prefetchPausedUntil = now() + leaseMs;
      this.handBack(stale);
    }
    const held = [...this.running.values()].map((r) => r.job).concat(this.prefetched.jobs());
    if (held.length === 0) return;
    try {
      const lost = await store.jobs.extendLeases(workerId, held.map(leaseOf), leaseMs, now());
      if (lost.length === 0) return;
      this.prefetched.drop(new Set(lost));
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
    // Prefetched jobs go back at once, keeping their place: another worker may take them now.
    this.handBack(this.prefetched.takeAll());
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
