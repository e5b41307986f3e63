import type { ScheduleDeployRow } from "../ports/rows.ts";

/** What a starting process declares: the hash of its code-schedule set and the keys in it. */
export interface CodeDeclaration {
  codeHash: string;
  scheduleKeys: readonly string[];
  /**
   * The running process declaring it (its worker id), which holds the version live until it
   * stops; absent for a sync outside a running service (a test, a script), which holds nothing.
   */
  processId?: string;
  /**
   * A process that has not checked in for this long is taken for gone (it crashed): a version
   * with no live process left is gone, and an older one starting then is the newest again.
   */
  staleMs: number;
}

/**
 * Where a process stands among the code versions the store has seen (rolling deploys):
 * - `newest`: it reconciles the code schedules. `registered` says whether it is a version seen
 *   before (`same`), a new one (`new`, a deploy), or an older one taking over from a newer one
 *   that is gone (`takeover`); `version` is what to record for it.
 * - `older`: a newer version is live; this process writes no schedule and removes none.
 */
export type DeployDecision =
  | {
      role: "newest";
      registered: "new" | "same" | "takeover";
      version: number;
      codeHash: string;
      previous: ScheduleDeployRow | null;
    }
  | { role: "older"; version: number; codeHash: string; newest: ScheduleDeployRow };

/** `live`: the code hashes with a running process (other than the declaring one). */
export function decideDeploy(
  deploys: readonly ScheduleDeployRow[],
  declaration: CodeDeclaration,
  live: ReadonlySet<string>,
): DeployDecision {
  const { codeHash } = declaration;
  const newest = deploys.reduce<ScheduleDeployRow | null>(
    (best, d) => (best === null || d.version > best.version ? d : best),
    null,
  );
  if (newest === null) return { role: "newest", registered: "new", version: 1, codeHash, previous: null };
  if (newest.codeHash === codeHash)
    return { role: "newest", registered: "same", version: newest.version, codeHash, previous: null };
  const mine = deploys.find((d) => d.codeHash === codeHash);
  const next = newest.version + 1;
  if (!mine) return { role: "newest", registered: "new", version: next, codeHash, previous: newest };
  if (!live.has(newest.codeHash))
    return { role: "newest", registered: "takeover", version: next, codeHash, previous: newest };
  return { role: "older", version: mine.version, codeHash, newest };
}
