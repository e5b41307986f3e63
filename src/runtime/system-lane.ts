import type { JobRegistry } from "./registry.ts";

export { SYSTEM_QUEUE } from "../core/lanes.ts";

/**
 * The reserved lane (spec §11): proof-of-liveness work — heartbeat jobs, monitor checks, alert
 * deliveries — runs in worker slots of its own that user jobs cannot fill, so a queue full of
 * long user jobs cannot starve the checks that prove the system alive (and the gates that depend
 * on them).
 *
 * The lane is a second worker pool that claims only from the queues of `lane: "system"` job
 * types. A queue some user job type also uses is left out of the lane (those jobs would take the
 * reserved slots): its system jobs still run in the ordinary pool, and `shared` names the queue so
 * the caller can warn. `only` (the process's `queues` option) narrows the lane like the pool.
 */
export interface SystemLane {
  queues: string[];
  /** System queues shared with user job types: not reserved. */
  shared: string[];
}

export const DEFAULT_SYSTEM_CONCURRENCY = 2;

export function systemLane(registry: JobRegistry, only: readonly string[] | undefined): SystemLane {
  const system = new Set<string>();
  const user = new Set<string>();
  for (const definition of registry.all()) {
    (definition.options.lane === "system" ? system : user).add(definition.options.queue);
  }
  const queues: string[] = [];
  const shared: string[] = [];
  for (const queue of [...system].sort()) {
    if (only && !only.includes(queue)) continue;
    (user.has(queue) ? shared : queues).push(queue);
  }
  return { queues, shared };
}
