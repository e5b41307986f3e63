import { formatDuration } from "../../core/duration.ts";
import type { Rates } from "../../core/rollup.ts";
import { countTicks, type TickCounts, VOCABULARY } from "../../core/tick-vocabulary.ts";
import type { RateWindows, ScheduleReport } from "../../liveness.ts";
import type { ScheduleRow } from "../../store/ports/rows.ts";
import { outcomeStrip } from "../charts.ts";
import { badge, percent, trigger, utc, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, live, table } from "../layout.ts";
import type { Session } from "../session.ts";
import { runtimeScheduleEditor, scheduleMetaFacts, scheduleTags } from "./schedule-runtime.ts";

export const schedulePath = (key: string) => `${BASE}/schedules/${encodeURIComponent(key)}`;
export const jobPath = (id: string) => `${BASE}/jobs/${id}`;

/** The words of core/tick-vocabulary, each with its mark and its one definition. */
export const legend = html`<p class="legend small"><span class="lg lg-fired" aria-hidden="true">●</span> <abbr title="${VOCABULARY.succeeded}">succeeded</abbr> <span class="lg lg-missed" aria-hidden="true">■</span> <abbr title="${VOCABULARY.failed}">failed</abbr> <span class="lg lg-missed" aria-hidden="true">✕</span> <abbr title="${VOCABULARY.missed}">missed</abbr> <span class="lg lg-late" aria-hidden="true">◆</span> <abbr title="${VOCABULARY.late}">late</abbr> <span class="lg lg-skipped" aria-hidden="true">○</span> <abbr title="${VOCABULARY.skipped}">skipped</abbr> <span class="lg lg-running" aria-hidden="true">●</span> <abbr title="${VOCABULARY.running}">running</abbr></p>`;

function pauseButton(session: Session, s: ScheduleRow): Html {
  const path = schedulePath(s.id);
  return s.paused
    ? actionButton(session, `${path}/resume`, "Resume")
    : actionButton(session, `${path}/pause`, "Pause", { tone: "danger" });
}

/** "3 missed, 1 skipped, 2 failed, 1 late" — every word from the vocabulary, bad ones stressed. */
export function countsLine(c: TickCounts): Html {
  const bad = (n: number, word: string) =>
    n > 0 ? html`<strong class="text-bad">${n} ${word}</strong>` : html`0 ${word}`;
  return html`<span class="small">${bad(c.missed, "missed")}, ${c.skipped} skipped, ${bad(c.failed, "failed")}, ${bad(
    c.late,
    "late",
  )}</span>`;
}

/** Broken (set aside, with its error), paused or active. */
function scheduleState(s: ScheduleRow): Html {
  if (s.broken !== null) return html`${badge("broken")} <span class="small text-bad">${s.broken}</span>`;
  return s.paused ? badge("paused") : badge("enabled", "active");
}

export function schedulesBody(items: ScheduleReport[], now: number, session: Session): Html {
  return html`${legend}${live(
    "schedules-list",
    table(
      "Schedules",
      ["Schedule", "Health", "Trigger", "State", "Next tick", "Last tick", "Recent ticks", "Action"],
      items.map(({ schedule: s, ticks, health }) => {
        const last = ticks[0];
        return html`<tr data-health="${health.status}"><th scope="row"><a href="${schedulePath(s.id)}">${s.id}</a>${scheduleTags(s)}<br><span class="muted small">${s.jobType}</span></th><td title="${health.reason}">${badge(
          health.status,
        )}</td><td>${s.trigger ? trigger(s.trigger) : "unreadable"}</td><td>${scheduleState(s)}</td><td>${
          s.paused ? html`<span class="muted">paused</span>` : when(s.nextFireAt, now)
        }</td><td>${
          last
            ? html`${badge(last.decision)}${last.outcome ? html` ${badge(last.outcome)}` : ""} ${when(last.nominalAt, now)}`
            : html`<span class="muted">never</span>`
        }</td><td>${outcomeStrip(ticks, { compact: true, jobHref: jobPath })}${countsLine(countTicks(ticks))}</td><td>${pauseButton(
          session,
          s,
        )}</td></tr>`;
      }),
      "No schedules are stored.",
    ),
  )}`;
}

export interface SchedulePageData {
  report: ScheduleReport;
  /** The page of ticks shown (newest first) and the cursor of the next, older page. */
  ticks: ScheduleReport["ticks"];
  nextBefore: number | null;
  before: number | null;
  rates: RateWindows;
  next: number[];
  now: number;
  session: Session;
}

function rateCells(label: string, r: Rates): Html {
  return html`<tr data-window="${label}"><th scope="row">${label}</th><td data-rate="success">${percent(r.successRate)}</td><td data-rate="on-time">${percent(
    r.onTimeRate,
  )}</td><td>${r.counts.fired} fired, ${r.counts.missed} missed, ${r.counts.skipped} skipped, ${r.counts.failed} failed, ${r.counts.late} late</td><td>${
    r.latencyP95 === null ? "—" : formatDuration(r.latencyP95)
  }</td><td>${r.durationP95 === null ? "—" : formatDuration(r.durationP95)}</td></tr>`;
}

export function scheduleBody(d: SchedulePageData): Html {
  const { report, now } = d;
  const s = report.schedule;
  const counts = countTicks(d.ticks);
  return html`<p><a href="${BASE}/schedules">← All schedules</a></p>
<section class="card" aria-labelledby="sched-facts">
  <h2 id="sched-facts" class="sr-only">Status and actions</h2>
  ${live(
    "schedule-facts",
    html`<dl class="facts">
    <div><dt>Health</dt><dd data-testid="schedule-health">${badge(report.health.status)} <span class="muted small">${report.health.reason}</span></dd></div>
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
<section class="card" aria-labelledby="rates-title">
  <h2 id="rates-title">Success and on-time rates <span class="muted small">(from rollups: they survive pruning)</span></h2>
  ${table(
    "Rates",
    ["Window", "Success", "On time", "Ticks", "Lateness p95", "Duration p95"],
    [rateCells("24 h", d.rates["24h"]), rateCells("7 d", d.rates["7d"]), rateCells("90 d", d.rates["90d"])],
    "",
  )}
</section>
<section class="card" aria-labelledby="ticks-title">
  <h2 id="ticks-title">Tick timeline <span class="muted small">(${d.ticks.length} ticks${
    d.before === null ? ", the newest" : html` before ${utc(d.before)}`
  }: ${counts.fired} fired, ${counts.missed} missed, ${counts.skipped} skipped, ${counts.failed} failed, ${counts.late} late)</span></h2>
  ${legend}
  ${live(
    "schedule-ticks",
    html`<div class="strip-wrap">${outcomeStrip(d.ticks, { jobHref: jobPath })}</div>
  ${table(
    "Ticks, newest first",
    ["Nominal time", "Decision", "Outcome", "Reason", "Decided", "Started", "Duration", "Job"],
    d.ticks.map(
      (t) =>
        html`<tr data-decision="${t.decision}" data-mark="${t.mark}" data-nominal="${t.nominalAt}"><td>${when(t.nominalAt, now)}</td><td>${badge(t.decision)}</td><td>${
          t.outcome ? badge(t.outcome) : html`<span class="muted">—</span>`
        }${t.late ? html` ${badge("late")}` : ""}</td><td>${t.reason ?? ""}</td><td>${when(t.decidedAt, now)}</td><td>${
          t.latenessMs === null
            ? html`<span class="muted">—</span>`
            : html`${formatDuration(t.latenessMs)} after its time`
        }</td><td>${t.durationMs === null ? "" : formatDuration(t.durationMs)}</td><td>${
          t.jobId ? html`<a href="${jobPath(t.jobId)}">#${t.jobId}</a>` : ""
        }</td></tr>`,
    ),
    "No ticks recorded yet.",
  )}`,
  )}
  <p class="small">${d.before === null ? "" : html`<a href="${schedulePath(s.id)}">Newest</a> · `}${
    d.nextBefore === null
      ? html`<span class="muted">No older ticks.</span>`
      : html`<a rel="next" href="${schedulePath(s.id)}?before=${new Date(d.nextBefore).toISOString()}">Older ticks →</a>`
  }</p>
</section>`;
}
