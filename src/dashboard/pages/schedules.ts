import { formatDuration } from "../../core/duration.ts";
import type { ScheduleRow, TickRow } from "../../store/ports/rows.ts";
import type { ScheduleStatus } from "../../tickflow.ts";
import { tickStrip } from "../charts.ts";
import { badge, trigger, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, live, table } from "../layout.ts";
import type { Session } from "../session.ts";
import { runtimeScheduleEditor, scheduleMetaFacts, scheduleTags } from "./schedule-runtime.ts";

export const schedulePath = (key: string) => `${BASE}/schedules/${encodeURIComponent(key)}`;

export interface ScheduleListItem extends ScheduleStatus {
  /** Newest first. */
  recent: TickRow[];
}

const legend = html`<p class="legend small" aria-hidden="true"><span class="lg lg-fired">●</span> fired <span class="lg lg-missed">✕</span> missed <span class="lg lg-skipped">○</span> skipped</p>`;

function pauseButton(session: Session, s: ScheduleRow): Html {
  const path = schedulePath(s.id);
  return s.paused
    ? actionButton(session, `${path}/resume`, "Resume")
    : actionButton(session, `${path}/pause`, "Pause", { tone: "danger" });
}

/** Broken (set aside, with its error), paused or active. */
function scheduleState(s: ScheduleRow): Html {
  if (s.broken !== null) return html`${badge("broken")} <span class="small text-bad">${s.broken}</span>`;
  return s.paused ? badge("paused") : badge("enabled", "active");
}

export function schedulesBody(items: ScheduleListItem[], now: number, session: Session): Html {
  return html`${legend}${live(
    "schedules-list",
    table(
      "Schedules",
      ["Schedule", "Trigger", "State", "Next tick", "Last tick", "Recent ticks", "Action"],
      items.map((s) => {
        const missed = s.recent.filter((t) => t.decision === "missed").length;
        const skipped = s.recent.filter((t) => t.decision === "skipped").length;
        return html`<tr><th scope="row"><a href="${schedulePath(s.id)}">${s.id}</a>${scheduleTags(s)}<br><span class="muted small">${s.jobType}</span></th><td>${s.trigger ? trigger(s.trigger) : "unreadable"}</td><td>${scheduleState(s)}</td><td>${
          s.paused ? html`<span class="muted">paused</span>` : when(s.nextFireAt, now)
        }</td><td>${
          s.lastTick
            ? html`${badge(s.lastTick.decision)} ${when(s.lastTick.nominalAt, now)}`
            : html`<span class="muted">never</span>`
        }</td><td>${tickStrip(s.recent, { compact: true })}<span class="small">${
          missed > 0 ? html`<strong class="text-bad">${missed} missed</strong>` : "0 missed"
        }, ${skipped} skipped</span></td><td>${pauseButton(session, s)}</td></tr>`;
      }),
      "No schedules are stored.",
    ),
  )}`;
}

export interface SchedulePageData {
  schedule: ScheduleRow;
  ticks: TickRow[];
  limit: number;
  next: number[];
  now: number;
  session: Session;
}

export function scheduleBody(d: SchedulePageData): Html {
  const { schedule: s, now } = d;
  const counts = { fired: 0, missed: 0, skipped: 0 };
  for (const t of d.ticks) counts[t.decision]++;
  return html`<p><a href="${BASE}/schedules">← All schedules</a></p>
<section class="card" aria-labelledby="sched-facts">
  <h2 id="sched-facts" class="sr-only">Status and actions</h2>
  ${live(
    "schedule-facts",
    html`<dl class="facts">
    <div><dt>State</dt><dd>${scheduleState(s)}</dd></div>
    <div><dt>Job</dt><dd>${s.jobType} <span class="muted">on queue ${s.jobOptions.queue}</span></dd></div>
    <div><dt>Trigger</dt><dd>${s.trigger ? trigger(s.trigger) : "unreadable"}</dd></div>
    <div><dt>Misfire policy</dt><dd>${s.misfire} <span class="muted">(grace ${formatDuration(s.graceMs)})</span></dd></div>
    <div><dt>Overlap</dt><dd>${s.overlap}</dd></div>
    <div><dt>Next tick</dt><dd>${s.paused ? html`<span class="muted">paused</span>` : when(s.nextFireAt, now)}</dd></div>
    <div><dt>Last fired</dt><dd>${when(s.lastFireAt, now)}</dd></div>
    ${scheduleMetaFacts(s)}
    <div><dt>Then</dt><dd>${d.next.length === 0 ? html`<span class="muted">—</span>` : html`<ul class="plain">${d.next.map((t) => html`<li>${when(t, now)}</li>`)}</ul>`}</dd></div>
  </dl>`,
  )}
  <div class="actions">${pauseButton(d.session, s)}</div>
</section>
${runtimeScheduleEditor(d.session, s)}
<section class="card" aria-labelledby="ticks-title">
  <h2 id="ticks-title">Tick timeline <span class="muted small">(the newest ${d.ticks.length}: ${counts.fired} fired, ${counts.missed} missed, ${counts.skipped} skipped)</span></h2>
  ${legend}
  ${live(
    "schedule-ticks",
    html`<div class="strip-wrap">${tickStrip(d.ticks)}</div>
  ${table(
    "Ticks, newest first",
    ["Nominal time", "Decision", "Reason", "Decided", "Started", "Job"],
    d.ticks.map(
      (t) =>
        html`<tr data-decision="${t.decision}"><td>${when(t.nominalAt, now)}</td><td>${badge(t.decision)}</td><td>${
          t.reason ?? ""
        }</td><td>${when(t.decidedAt, now)}</td><td>${
          t.startedAt === null
            ? html`<span class="muted">—</span>`
            : html`${formatDuration(Math.max(0, t.startedAt - t.nominalAt))} late`
        }</td><td>${t.jobId ? html`<a href="${BASE}/jobs/${t.jobId}">#${t.jobId}</a>` : ""}</td></tr>`,
    ),
    "No ticks recorded yet.",
  )}`,
  )}
  <p class="small">Show the newest ${[100, 500].map((n) =>
    n === d.limit ? html`<strong>${n}</strong> ` : html`<a href="${schedulePath(s.id)}?limit=${n}">${n}</a> `,
  )} ticks.</p>
</section>`;
}
