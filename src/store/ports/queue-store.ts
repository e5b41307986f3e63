/**
 * Queue pause and resume, cluster-wide: a paused queue's jobs are claimed by no process until it
 * is resumed (running jobs finish; enqueueing goes on). Stored as a gate in queue_gates, held by
 * shared/gates.ts's PAUSE_HOLDER beside any monitor's gates: the queue opens when neither holds
 * it. Reads: `queries.listPausedQueues()`.
 */
export interface QueueStore {
  /** Pauses `queue` (idempotent); true when it was not paused before. */
  pauseQueue(queue: string, now: number): Promise<boolean>;
  /**
   * Resumes `queue` (idempotent); true when it was paused. When no monitor holds it closed
   * either, its waiting jobs are hinted to every process's workers, so they start without a poll.
   */
  resumeQueue(queue: string): Promise<boolean>;
}
