import { validateQueueName } from "./core/names.ts";
import type { Tickflow } from "./tickflow.ts";

/**
 * Pausing and resuming queues for every process (store.queues): the facade the API, the CLI and
 * the dashboard use (they never touch `tickflow.store`). A paused queue keeps accepting jobs; no
 * process claims them until it is resumed; running jobs finish.
 */
export interface QueueControl {
  /** True when the queue was running and is paused now. */
  pause(queue: string): Promise<boolean>;
  /** True when the queue was paused and runs again now. */
  resume(queue: string): Promise<boolean>;
  /** The paused queues, by name. */
  paused(): Promise<{ queue: string; pausedAt: number }[]>;
}

export function queueControl(tickflow: Tickflow): QueueControl {
  return {
    pause: (queue) => tickflow.store.queues.pauseQueue(validateQueueName(queue), tickflow.now()),
    resume: (queue) => tickflow.store.queues.resumeQueue(validateQueueName(queue)),
    paused: () => tickflow.queries.listPausedQueues(),
  };
}
