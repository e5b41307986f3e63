import { randomUUID } from "node:crypto";
import { parseBackoff } from "../core/backoff.ts";
import { type Duration, parseDuration } from "../core/duration.ts";
import { InvalidOptionError, NotFoundError } from "../errors.ts";
import type { Feature, FeatureHost } from "../feature.ts";
import { defineJob, type JobDefinition } from "../runtime/registry.ts";
import { defineSchedule } from "../runtime/schedules.ts";
import type { DeliveryRow, IncidentRow, SilenceRow } from "../store/ports/alerts.ts";
import type { JobInsert } from "../store/ports/job-store.ts";
import { type AlertsOptions, checkAlertsOptions } from "./alerts-options.ts";

export type { AlertsOptions } from "./alerts-options.ts";

import type { Channel } from "./channels/channel.ts";
import { defineChannel } from "./channels/define-channel.ts";
import { type AlertRule, type AlertRuleOptions, defineAlert } from "./define-alert.ts";
import { deliverOnce } from "./deliver.ts";
import { evaluateRules } from "./evaluate.ts";
import type { AlertReads } from "./observe.ts";

export const EVALUATE_JOB = "tickflow.alerts.evaluate";
export const DELIVER_JOB = "tickflow.alerts.deliver";
export const ALERTS_QUEUE = "tickflow.alerts";

/** What the names of a rule's targets are checked against at start. */
export interface KnownTargets {
  schedules: readonly string[];
  flows: readonly string[];
  monitors: readonly string[];
  checks: readonly string[];
}

/**
 * Alert rules, channels, incidents and deliveries of one Tickflow (`tickflow.alerts`). The rules
 * are evaluated by a system job on an `every` schedule (so one process per tick, cluster-wide);
 * incidents are stored with one open per (rule, subject); each notification becomes one delivery
 * per channel — a keyed job, retried with backoff, sent at most once per dedupe key.
 */
export class Alerts implements Feature {
  readonly name = "alerts";
  readonly channels = new Map<string, Channel>();
  private readonly rules: AlertRule[] = [];
  private readonly backoff: string;
  private readonly maxAttempts: number;
  private heartbeat: AlertReads["heartbeat"] = null;

  constructor(
    private readonly host: FeatureHost,
    private readonly reads: Omit<AlertReads, "heartbeat" | "now" | "queries">,
    options: AlertsOptions,
    env: Record<string, string | undefined>,
  ) {
    checkAlertsOptions(options, env);
    for (const [name, channel] of Object.entries(options.channels ?? {})) {
      this.channels.set(name, defineChannel(name, channel, env));
    }
    for (const rule of options.rules ?? []) this.add(rule);
    const retry = options.deliveryRetry ?? {};
    this.maxAttempts = retry.attempts ?? 30;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) {
      throw new InvalidOptionError("alerts.deliveryRetry.attempts must be a whole number of at least 1");
    }
    this.backoff = JSON.stringify(
      parseBackoff({ type: "exponential", base: retry.base ?? "1s", max: retry.max ?? "5m" }),
    );
    const everyMs = parseDuration(options.evaluateEvery ?? "5s", "alerts.evaluateEvery");
    // Both in the reserved lane (issue 20): a queue full of user jobs cannot delay an alert.
    const evaluate = defineJob(EVALUATE_JOB, () => this.evaluate(), {
      queue: ALERTS_QUEUE,
      maxAttempts: 1,
      lane: "system",
    });
    const deliver = defineJob<{ delivery: string }>(
      DELIVER_JOB,
      (payload, ctx) => deliverOnce(this.deliveryDeps(), payload.delivery, ctx),
      { queue: ALERTS_QUEUE, lane: "system" },
    );
    host.register(evaluate as unknown as JobDefinition<never, never>);
    host.register(deliver as unknown as JobDefinition<never, never>);
    if (this.rules.length > 0) {
      host.addSchedule(
        defineSchedule({
          key: EVALUATE_JOB,
          job: EVALUATE_JOB,
          every: everyMs,
          misfire: "skip",
          overlap: "skip",
        }),
      );
    }
  }

  /** Adds a rule; its channels must exist. */
  add(input: AlertRule | AlertRuleOptions): AlertRule {
    const rule = defineAlert(input as AlertRuleOptions);
    if (this.rules.some((r) => r.name === rule.name))
      throw new InvalidOptionError(`alert "${rule.name}" is defined twice`);
    for (const channel of rule.channels) {
      if (!this.channels.has(channel)) {
        const known = [...this.channels.keys()];
        throw new InvalidOptionError(
          `alert "${rule.name}": unknown channel "${channel}" (${known.length ? `channels: ${known.join(", ")}` : "no channels are configured"})`,
        );
      }
    }
    this.rules.push(rule);
    return rule;
  }

  list(): readonly AlertRule[] {
    return this.rules;
  }

  /** The diagnostic heartbeat's health, for `when: "heartbeat"` rules (registerHeartbeat calls it). */
  watchHeartbeat(read: NonNullable<AlertReads["heartbeat"]>): void {
    this.heartbeat = read;
  }

  /** Refuses a rule that names a schedule, flow, monitor or check that does not exist. */
  checkTargets(known: KnownTargets): void {
    const lists: Partial<Record<AlertRule["when"], readonly string[]>> = {
      schedule: known.schedules,
      flow: known.flows,
      monitor: known.monitors,
      check: known.checks,
    };
    for (const rule of this.rules) {
      const names = lists[rule.when];
      if (!names || rule.target === "*" || names.includes(rule.target)) continue;
      throw new InvalidOptionError(`alert "${rule.name}": no ${rule.when} "${rule.target}" is defined`);
    }
  }

  /** One evaluation of every rule (the evaluate job's body; tests call it directly). */
  async evaluate(): Promise<DeliveryRow[]> {
    const { queries } = this.host.store;
    const now = this.host.now();
    const [tracks, silences] = await Promise.all([
      queries.listAlertTracks(),
      queries.listSilences({ activeAt: now }),
    ]);
    const reads: AlertReads = { ...this.reads, queries, now: () => now, heartbeat: this.heartbeat };
    const result = await evaluateRules(this.rules, reads, tracks, silences, now);
    for (const { rule, error } of result.errors) {
      this.host.events.emit("worker:error", { error, where: `evaluating alert "${rule}"` });
    }
    const created =
      result.tracks.length + result.events.length === 0
        ? []
        : await this.host.store.alerts.recordEvaluation({ tracks: result.tracks, events: result.events });
    // Every pending delivery gets its job; the dedupe key keeps it to one unfinished job each,
    // and a crash between recording and enqueueing is caught up on the next evaluation.
    const pending = await queries.listDeliveries({ status: "pending", limit: 500 });
    await this.enqueue(pending);
    return created;
  }

  private async enqueue(deliveries: readonly DeliveryRow[]): Promise<void> {
    if (deliveries.length === 0) return;
    const now = this.host.now();
    const jobs: JobInsert[] = deliveries.map((d) => ({
      type: DELIVER_JOB,
      queue: ALERTS_QUEUE,
      payload: JSON.stringify({ delivery: d.id }),
      priority: 10,
      maxAttempts: this.maxAttempts,
      runAt: now,
      key: d.dedupeKey,
      timeoutMs: 60_000,
      backoff: this.backoff,
      stateKey: null,
    }));
    await this.host.store.jobs.insertJobs(jobs, now);
  }

  private deliveryDeps() {
    const { store } = this.host;
    return {
      queries: store.queries,
      alerts: store.alerts,
      channels: this.channels,
      now: () => this.host.now(),
    };
  }

  // ── reads and silences for the API, CLI and dashboard ─────────────────────

  incidents(filter?: { status?: IncidentRow["status"]; limit?: number }): Promise<IncidentRow[]> {
    return this.host.store.queries.listIncidents(filter);
  }

  async incident(id: string): Promise<{ incident: IncidentRow; deliveries: DeliveryRow[] }> {
    const incident = await this.host.store.queries.getIncident(id);
    if (!incident) throw new NotFoundError(`incident "${id}"`);
    return { incident, deliveries: await this.host.store.queries.listDeliveries({ incidentId: id }) };
  }

  deliveries(filter?: Parameters<FeatureHost["store"]["queries"]["listDeliveries"]>[0]) {
    return this.host.store.queries.listDeliveries(filter);
  }

  attempts(deliveryId: string) {
    return this.host.store.queries.listDeliveryAttempts(deliveryId);
  }

  silences(options: { active?: boolean } = {}): Promise<SilenceRow[]> {
    return this.host.store.queries.listSilences(options.active ? { activeAt: this.host.now() } : {});
  }

  /** Holds notifications back for a rule, a subject or both, until a time, with a reason. */
  async silence(input: {
    rule?: string | null;
    subject?: string | null;
    until?: number;
    for?: Duration;
    reason: string;
  }): Promise<SilenceRow> {
    const now = this.host.now();
    const rule = input.rule ?? null;
    const subject = input.subject ?? null;
    if (rule === null && subject === null)
      throw new InvalidOptionError("silence: give a rule, a subject, or both");
    if (rule !== null && !this.rules.some((r) => r.name === rule))
      throw new InvalidOptionError(`silence: no alert rule "${rule}"`);
    if (typeof input.reason !== "string" || input.reason.trim() === "")
      throw new InvalidOptionError("silence: give a reason");
    const until =
      input.until ?? (input.for === undefined ? Number.NaN : now + parseDuration(input.for, "silence: for"));
    if (!Number.isFinite(until) || until <= now)
      throw new InvalidOptionError('silence: until must be a time in the future (or give for, e.g. "2h")');
    const row: SilenceRow = {
      id: randomUUID(),
      rule,
      subject,
      until: Math.round(until),
      reason: input.reason.trim(),
      createdAt: now,
    };
    await this.host.store.alerts.addSilence(row);
    return row;
  }

  async endSilence(id: string): Promise<void> {
    if (!(await this.host.store.alerts.endSilence(id, this.host.now())))
      throw new NotFoundError(`silence "${id}"`);
  }
}
