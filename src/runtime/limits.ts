import { type LimitRule, ruleApplies } from "../core/job-limits.ts";
import { checkUniqueRules, type LimitOptions, limitRuleOf } from "../core/limit-options.ts";
import { validateName } from "../core/names.ts";
import type { LimitUsageRow, TypePauseRow } from "../store/ports/rows.ts";
import type { Store } from "../store/store.ts";

/**
 * `tickflow.limits`: the cluster-wide limits this process declares (spec §13) and the per-type
 * enable/disable switch. Rules live in code, like job types: every process that claims a limited
 * scope's jobs must declare the same rules (a process without them claims as if unlimited). The
 * store enforces them in each claim; type pauses are stored, so they hold for every process.
 */
export class Limits {
  private readonly list: LimitRule[] = [];

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Declares a limit: one queue or job type, and its concurrency, perKey and/or rate caps. */
  define(options: LimitOptions): LimitRule {
    const rule = limitRuleOf(options);
    checkUniqueRules([...this.list, rule]);
    this.list.push(rule);
    return rule;
  }

  /** The declared rules, as every claim of this process passes them to the store. */
  rules(): readonly LimitRule[] {
    return this.list;
  }

  /** Whether some rule covers a job of this queue and type (such a job is never inserted leased). */
  covers(job: { queue: string; type: string }): boolean {
    return this.list.some((rule) => ruleApplies(rule, job));
  }

  /** Each rule's usage now: running (per key too), tokens left, due jobs waiting and why. */
  usage(): Promise<LimitUsageRow[]> {
    return this.store.queries.limitUsage(this.list, this.now());
  }

  /** Disables a job type cluster-wide: its jobs wait, keeping their place. Returns whether it changed. */
  disableType(type: string): Promise<boolean> {
    return this.store.jobs.setTypePaused(validateName(type, "job type"), true, this.now());
  }

  /** Enables a disabled job type again (the store hints the workers). Returns whether it changed. */
  enableType(type: string): Promise<boolean> {
    return this.store.jobs.setTypePaused(validateName(type, "job type"), false, this.now());
  }

  /** The disabled types, by name. */
  disabledTypes(): Promise<TypePauseRow[]> {
    return this.store.queries.listPausedTypes();
  }
}
