import type { ClaimedJob } from "../store/ports/job-store.ts";

interface Held {
  job: ClaimedJob;
  /** When this pool took it (its clock), to hand back jobs it could not start in time. */
  since: number;
}

/**
 * Jobs a worker pool claimed ahead of its free slots: leased to it, not started. Kept in claim
 * order — priority first, then oldest runAt, then id — across claims, so a higher-priority job
 * from a later claim starts before lower ones prefetched earlier.
 */
export class PrefetchQueue {
  private held: Held[] = [];

  get length(): number {
    return this.held.length;
  }

  add(jobs: readonly ClaimedJob[], now: number): void {
    for (const job of jobs) {
      // Claims arrive in claim order, usually after everything held: search from the back.
      let at = this.held.length;
      while (at > 0 && compareClaimOrder(this.held[at - 1]!.job, job) > 0) at--;
      this.held.splice(at, 0, { job, since: now });
    }
  }

  /** The next job to start, or undefined. */
  shift(): ClaimedJob | undefined {
    return this.held.shift()?.job;
  }

  /** Every job held, emptying the queue (shutdown). */
  takeAll(): ClaimedJob[] {
    const jobs = this.held.map((h) => h.job);
    this.held = [];
    return jobs;
  }

  /** Takes out the jobs held since before `cutoff`: this pool is too busy to start them soon. */
  takeHeldBefore(cutoff: number): ClaimedJob[] {
    const stale = this.held.filter((h) => h.since < cutoff).map((h) => h.job);
    if (stale.length > 0) this.held = this.held.filter((h) => h.since >= cutoff);
    return stale;
  }

  /** Drops jobs whose lease was lost (cancelled, or expired while held). */
  drop(ids: ReadonlySet<string>): void {
    this.held = this.held.filter((h) => !ids.has(h.job.id));
  }

  jobs(): ClaimedJob[] {
    return this.held.map((h) => h.job);
  }
}

/** priority DESC, runAt, id — the order claimJobs hands jobs out in. */
export function compareClaimOrder(a: ClaimedJob, b: ClaimedJob): number {
  return b.priority - a.priority || a.runAt - b.runAt || compareIds(a.id, b.id);
}

/** Bigint ids as decimal strings: shorter is smaller, then digit by digit. */
function compareIds(x: string, y: string): number {
  return x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
}
