import { formatDuration } from "../core/duration.ts";
import { describeTrigger, type Trigger } from "../core/triggers.ts";
import { FLOW_RUN_JOB } from "../flows/sync-flows.ts";
import { type Html, html } from "./html.ts";

/**
 * A stored time no Date can show (a hand-edited row, or what `delay: "99999999d"` once wrote):
 * one such row must not fail the page it is listed on (issue 19).
 */
function showable(ms: number): boolean {
  return Number.isFinite(new Date(ms).getTime());
}

/** `2030-01-01 12:00:05 UTC`: every time on the dashboard is UTC, like the scheduler's cron. */
export function utc(ms: number): string {
  let text = utcTexts.get(ms);
  if (text === undefined) {
    const date = new Date(ms);
    if (!Number.isFinite(date.getTime())) return `unshowable time (${ms})`;
    const iso = date.toISOString();
    text = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
    // Schedules share their ticks' minutes: the overview formats the same few times 200 times.
    if (utcTexts.size >= UTC_TEXTS_KEPT) utcTexts.clear();
    utcTexts.set(ms, text);
  }
  return text;
}

const UTC_TEXTS_KEPT = 4_096;
const utcTexts = new Map<number, string>();

/** "3m ago" / "in 20s", relative to the server's clock (tickflow.now()). */
export function relative(ms: number, now: number): string {
  const delta = ms - now;
  if (Math.abs(delta) < 1_000) return "now";
  return delta < 0 ? `${formatDuration(-delta)} ago` : `in ${formatDuration(delta)}`;
}

/** A `<time>` with the UTC time as text and the relative time beside it; "—" for null. */
export function when(ms: number | null | undefined, now: number): Html {
  if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
  if (!showable(ms)) return html`<span class="muted">${utc(ms)}</span>`;
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}" title="${iso}">${utc(ms)}</time> <span class="muted">(${relative(ms, now)})</span>`;
}

export function duration(ms: number | null | undefined): Html {
  if (ms === null || ms === undefined) return html`<span class="muted">—</span>`;
  return html`${formatDuration(ms)}`;
}

export function trigger(t: Trigger | null): string {
  return t === null ? "manual only" : describeTrigger(t);
}

export function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(rate === 1 || rate === 0 ? 0 : 1)}%`;
}

/** Tone of a status word, for its badge colour (the word itself is always shown: colour is never the only cue). */
const TONES: Record<string, "ok" | "warn" | "bad" | "info" | "neutral"> = {
  ok: "ok",
  success: "ok",
  succeeded: "ok",
  fired: "ok",
  ONLINE: "ok",
  enabled: "ok",
  late: "warn",
  skipped: "neutral",
  retry_scheduled: "warn",
  UNKNOWN: "neutral",
  paused: "warn",
  disabled: "warn",
  broken: "bad",
  missing: "bad",
  missed: "bad",
  failing: "bad",
  never_ran: "neutral",
  interrupted: "info",
  degraded: "warn",
  retrying: "warn",
  failed: "bad",
  discarded: "bad",
  timed_out: "bad",
  abandoned: "bad",
  lease_lost: "bad",
  OFFLINE: "bad",
  cancelled: "neutral",
  pending: "info",
  in_progress: "info",
  running: "info",
  available: "info",
  scheduled: "neutral",
  up: "ok",
  down: "bad",
  new: "neutral",
  open: "bad",
  resolved: "ok",
  sent: "ok",
  silenced: "neutral",
};

export function badge(status: string, label = status.replace(/_/g, " ")): Html {
  return html`<span class="badge tone-${TONES[status] ?? "neutral"}">${label}</span>`;
}

/**
 * A job's type as people read it: a flow-run job is its flow's run, so it shows the flow's name
 * (`flow etl`), with the job type after it in small print.
 */
export function jobTypeLabel(job: { type: string; payload: unknown }): Html {
  if (job.type !== FLOW_RUN_JOB) return html`${job.type}`;
  const flow = (job.payload as { flow?: unknown } | null)?.flow;
  return typeof flow === "string"
    ? html`flow ${flow} <span class="muted small">${job.type}</span>`
    : html`${job.type}`;
}
