import type { GateChange } from "../ports/monitor-store.ts";

/** Which queues opened and closed between two sets of closed queues (both adapters' monitor writes). */
export function diffGates(before: ReadonlySet<string>, after: ReadonlySet<string>): GateChange {
  return {
    opened: [...before].filter((q) => !after.has(q)).sort(),
    closed: [...after].filter((q) => !before.has(q)).sort(),
  };
}

/**
 * The holder of a queue's gate while the queue is paused by hand (store.queues): a row in
 * queue_gates like a monitor's, so every claim and leased insert on every process skips the queue
 * through the one gating path. The colon keeps it apart from monitor names (which cannot hold one).
 */
export const PAUSE_HOLDER = "tickflow:paused";
