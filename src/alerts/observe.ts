import type { CheckStatusView } from "../checks/checks.ts";
import { formatDuration } from "../core/duration.ts";
import type { MonitorStatus } from "../monitors/monitors.ts";
import type { StoreQueries } from "../store/ports/store-queries.ts";
import type { AlertRule } from "./define-alert.ts";

/** One evaluation of a rule for one subject: does its condition hold, and what to tell people. */
export interface Observation {
  /** `schedule:<id>`, `flow:<name>`, `monitor:<name>`, `heartbeat`, `queue:<name>`, `check:<key>`. */
  subject: string;
  bad: boolean;
  summary: string;
}

/** A schedule's health as the alerts read it (spec §11). */
export interface ScheduleHealthView {
  id: string;
  health: string;
  summary: string;
}

/** What the alert rules read: narrow, so the rules do not know the engine. */
export interface AlertReads {
  queries: StoreQueries;
  now(): number;
  checks(): Promise<CheckStatusView[]>;
  monitors(): Promise<MonitorStatus[]>;
  schedules(): Promise<ScheduleHealthView[]>;
  /** The diagnostic heartbeat's pair health; null when no heartbeat is registered. */
  heartbeat: (() => Promise<{ status: string; summary: string }>) | null;
}

const matches = (rule: AlertRule, name: string) => rule.target === "*" || rule.target === name;

/** Evaluates one rule now: one observation per subject it watches. */
export async function observeRule(rule: AlertRule, reads: AlertReads): Promise<Observation[]> {
  switch (rule.when) {
    case "check":
      return (await reads.checks())
        .filter((c) => matches(rule, c.key))
        .map((c) => ({ subject: `check:${c.key}`, bad: c.state === "down", summary: checkSummary(c) }));
    case "monitor":
      return (await reads.monitors())
        .filter((m) => matches(rule, m.name))
        .map((m) => ({
          subject: `monitor:${m.name}`,
          bad: m.state === "OFFLINE",
          summary:
            m.state === "OFFLINE"
              ? `monitor ${m.name} is OFFLINE${m.lastCheck?.error ? `: ${m.lastCheck.error}` : ""}`
              : `monitor ${m.name} is ${m.state}`,
        }));
    case "schedule":
      return (await reads.schedules())
        .filter((s) => matches(rule, s.id))
        .map((s) => ({
          subject: `schedule:${s.id}`,
          bad: (rule.health as readonly string[]).includes(s.health),
          summary: s.summary,
        }));
    case "heartbeat": {
      if (!reads.heartbeat) return [];
      const h = await reads.heartbeat();
      return [{ subject: "heartbeat", bad: h.status !== "ok", summary: h.summary }];
    }
    case "queue":
      return observeQueues(rule, reads);
    case "flow":
      return observeFlows(rule, reads);
  }
}

function checkSummary(c: CheckStatusView): string {
  if (c.state !== "down") return `check ${c.key} is ${c.state}`;
  if (c.lastEndOk === false) return `check ${c.key} is down: its last run failed`;
  if (c.dueAt !== null && c.lastStartAt !== null && c.dueAt === c.lastStartAt) {
    return `check ${c.key} is down: a run started ${new Date(c.lastStartAt).toISOString()} and did not finish in time`;
  }
  return `check ${c.key} is down: no success since ${c.lastEndAt === null ? "it was created" : new Date(c.lastEndAt).toISOString()} (due ${c.dueAt === null ? "?" : new Date(c.dueAt).toISOString()})`;
}

async function observeQueues(rule: AlertRule, reads: AlertReads): Promise<Observation[]> {
  const now = reads.now();
  const oldest = new Map<string, number | null>();
  for (const row of await reads.queries.countJobs(now)) {
    if (!matches(rule, row.queue)) continue;
    const current = oldest.get(row.queue) ?? null;
    const at = row.state === "available" ? row.oldestRunAt : null;
    oldest.set(row.queue, at === null ? current : current === null ? at : Math.min(current, at));
  }
  return [...oldest].map(([queue, at]) => {
    const waited = at === null ? 0 : now - at;
    return {
      subject: `queue:${queue}`,
      bad: waited > rule.olderThanMs,
      summary: `queue ${queue}: the oldest waiting job has waited ${formatDuration(Math.max(0, waited))} (limit ${formatDuration(rule.olderThanMs)})`,
    };
  });
}

async function observeFlows(rule: AlertRule, reads: AlertReads): Promise<Observation[]> {
  const flows = (await reads.queries.listFlows()).filter(
    (f) => f.removedAt === null && matches(rule, f.name),
  );
  const now = reads.now();
  const out: Observation[] = [];
  for (const flow of flows) {
    const condition = rule.flow;
    if ("consecutiveFailures" in condition) {
      const n = condition.consecutiveFailures;
      const runs = await reads.queries.listFlowRuns({
        flow: flow.name,
        status: ["success", "failed"],
        limit: n,
      });
      const bad = runs.length >= n && runs.every((r) => r.status === "failed");
      const last = runs[0]?.errorMessage;
      out.push({
        subject: `flow:${flow.name}`,
        bad,
        summary: bad
          ? `flow ${flow.name}: ${n} consecutive failed run${n === 1 ? "" : "s"}${last ? `; last error: ${last}` : ""}`
          : `flow ${flow.name}: the last run succeeded`,
      });
      continue;
    }
    const runs = await reads.queries.listFlowRuns({
      flow: flow.name,
      status: ["success", "failed"],
      createdSince: now - condition.windowMs,
      limit: 500,
    });
    const failed = runs.filter((r) => r.status === "failed").length;
    const rate = runs.length === 0 ? 0 : failed / runs.length;
    out.push({
      subject: `flow:${flow.name}`,
      bad: runs.length >= condition.minRuns && rate > condition.failureRate,
      summary: `flow ${flow.name}: ${failed} of ${runs.length} runs failed in the last ${formatDuration(condition.windowMs)} (limit ${Math.round(condition.failureRate * 100)}%)`,
    });
  }
  return out;
}
