import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/**
 * Watches this process's event loop. A handler that computes for seconds without awaiting stops
 * every timer — lease renewals, the scheduler, heartbeats, every other job — and nothing else
 * would say so. Two measures:
 * - `perf_hooks.monitorEventLoopDelay`: the delay distribution (p50/p99/max), for the metric;
 * - a check timer every `checkEveryMs`: when it fires late by more than `stallThresholdMs`, the
 *   loop was blocked that long. The stall is reported once it ends (nothing runs during it): a
 *   log line naming the job types whose handlers ran during it (a synchronous culprit has often
 *   settled by then, so the pools remember recent ones), a counter, and `degraded` health for
 *   `degradedForMs` afterwards, so a probe polling every few seconds sees it.
 */
export interface EventLoopWatchdogOptions {
  /** A blocked loop longer than this is a stall (default 1 s). */
  stallThresholdMs?: number;
  /** How long health stays degraded after a stall ended (default 60 s). */
  degradedForMs?: number;
  /** Check timer period (default 200 ms). */
  checkEveryMs?: number;
  /** Job types whose handlers ran since `since` (monotonic ms), to name the culprits. */
  runningTypesSince(since: number): string[];
  onStall(stall: EventLoopStall): void;
  /** Wall-clock epoch ms (the instance's clock), for the stall's end time. */
  now(): number;
  /** Monotonic ms; default performance.now. */
  monotonic?: () => number;
}

export interface EventLoopStall {
  /** How long the loop was blocked (ms). */
  blockedMs: number;
  /** Job types running when the stall was noticed (one of them blocked the loop). */
  jobTypes: string[];
  /** Wall-clock end of the stall (epoch ms). */
  endedAt: number;
}

export interface EventLoopStatus {
  status: "ok" | "degraded";
  /** Delay percentiles since the last reset (ms). */
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
  stalls: number;
  lastStall: EventLoopStall | null;
  stallThresholdMs: number;
}

export const DEFAULT_STALL_THRESHOLD_MS = 1_000;
export const DEFAULT_DEGRADED_FOR_MS = 60_000;

export class EventLoopWatchdog {
  private histogram: IntervalHistogram | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCheck = 0;
  private stalls = 0;
  private lastStall: EventLoopStall | null = null;
  private lastStallMonotonic = Number.NEGATIVE_INFINITY;
  private readonly threshold: number;
  private readonly degradedFor: number;
  private readonly every: number;
  private readonly monotonic: () => number;

  constructor(private readonly options: EventLoopWatchdogOptions) {
    this.threshold = options.stallThresholdMs ?? DEFAULT_STALL_THRESHOLD_MS;
    this.degradedFor = options.degradedForMs ?? DEFAULT_DEGRADED_FOR_MS;
    this.every = options.checkEveryMs ?? 200;
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  start(): void {
    if (this.timer) return;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.lastCheck = this.monotonic();
    this.timer = setInterval(() => this.check(), this.every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.histogram?.disable();
  }

  private check(): void {
    const now = this.monotonic();
    const previous = this.lastCheck;
    const blockedMs = now - previous - this.every;
    this.lastCheck = now;
    if (blockedMs <= this.threshold) return;
    this.stalls++;
    this.lastStallMonotonic = now;
    this.lastStall = {
      blockedMs: Math.round(blockedMs),
      jobTypes: [...new Set(this.options.runningTypesSince(previous))].sort(),
      endedAt: this.options.now(),
    };
    this.options.onStall(this.lastStall);
  }

  status(): EventLoopStatus {
    const h = this.histogram;
    const ms = (ns: number | undefined) =>
      ns === undefined || !Number.isFinite(ns) ? 0 : Math.round(ns / 1e4) / 100;
    return {
      status: this.monotonic() - this.lastStallMonotonic < this.degradedFor ? "degraded" : "ok",
      delayP50Ms: ms(h?.percentile(50)),
      delayP99Ms: ms(h?.percentile(99)),
      delayMaxMs: ms(h?.max),
      stalls: this.stalls,
      lastStall: this.lastStall,
      stallThresholdMs: this.threshold,
    };
  }
}
