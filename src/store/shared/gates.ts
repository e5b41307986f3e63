import type { GateChange } from "../ports/monitor-store.ts";

/** Which queues opened and closed between two sets of closed queues (both adapters' monitor writes). */
export function diffGates(before: ReadonlySet<string>, after: ReadonlySet<string>): GateChange {
  return {
    opened: [...before].filter((q) => !after.has(q)).sort(),
    closed: [...after].filter((q) => !before.has(q)).sort(),
  };
}
