import type { CheckStatusView } from "../../checks/checks.ts";
import { formatDuration } from "../../core/duration.ts";
import { compareHealth } from "../../core/schedule-health.ts";
import { FLOW_RUN_JOB } from "../../flows/sync-flows.ts";
import type { HeartbeatStatus } from "../../jobs/heartbeat.ts";
import type { RateSummary, ScheduleReport } from "../../liveness.ts";
import type { IncidentRow, SilenceRow } from "../../store/ports/alerts.ts";
import type { MonitorRow } from "../../store/ports/rows.ts";
import { type BeatMinute, heartbeatTimeline, outcomeStrip } from "../charts.ts";
import { EVENT_LIMIT_MS, type QueueSummary, type RecentFailures } from "../data.ts";
import { badge, percent, utc, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { BASE, live, table } from "../layout.ts";
import { checkRow, incidentsSummary } from "./alerts.ts";
import { jobPath, legend, schedulePath } from "./schedules.ts";

export interface OverviewData {
  now: number;
  /** Every schedule (flows' and monitors' too) with its health and recent ticks. */
  schedules: ScheduleReport[];
  /** Success and on-time rates per schedule from rollups. */
  rates: Map<string, RateSummary>;
  heartbeat: { enabled: false } | { enabled: true; status: HeartbeatStatus; minutes: BeatMinute[] };
  monitors: MonitorRow[];
  queues: QueueSummary[];
  failures: RecentFailures;
  /** Check-ins with their newest pings (oldest last), shown beside schedules and flows. */
  checks: { check: CheckStatusView; pings: { kind: string; exitCode: number | null }[] }[];
  openIncidents: IncidentRow[];
  silences: SilenceRow[];
}

const STATES = [
  "available",
  "scheduled",
  "running",
  "retry_scheduled",
  "discarded",
  "succeeded",
  "cancelled",
] as const;

export function overviewBody(d: OverviewData): Html {
  return html`<div class="grid">
<section class="card span-2" aria-labelledby="sched-title">
  <h2 id="sched-title"><a href="${BASE}/schedules">Schedules</a> <span class="muted small">worst first</span></h2>
  ${live("overview-schedules", schedulesSection(d))}
</section>
<section class="card span-2" aria-labelledby="hb-title">
  <h2 id="hb-title">Heartbeat</h2>
  ${live("overview-heartbeat", heartbeatSection(d))}
</section>
<section class="card" aria-labelledby="inc-title">
  <h2 id="inc-title"><a href="${BASE}/alerts">Incidents</a></h2>
  ${live("overview-incidents", incidentsSummary(d.openIncidents, d.silences))}
</section>
<section class="card" aria-labelledby="mon-title">
  <h2 id="mon-title"><a href="${BASE}/monitors">Monitors</a></h2>
  ${live("overview-monitors", monitorsSection(d))}
</section>
<section class="card" aria-labelledby="fail-title">
  <h2 id="fail-title">Failures in the last 24 h</h2>
  ${live("overview-failures", failuresSection(d))}
</section>
<section class="card span-2" aria-labelledby="queue-title">
  <h2 id="queue-title"><a href="${BASE}/jobs">Queues</a></h2>
  ${live("overview-queues", queuesSection(d))}
</section>
</div>`;
}

/** A flow's schedule is named after its flow; a monitor's after its check job: say which. */
function subjectOf(s: ScheduleReport["schedule"]): { kind: string; name: string; href: string } {
  if (s.jobType === FLOW_RUN_JOB) {
    const flow = flowOf(s.payload) ?? s.id;
    return { kind: "flow", name: flow, href: `${BASE}/flows/${encodeURIComponent(flow)}` };
  }
  if (s.jobType.startsWith("monitor."))
    return { kind: "monitor", name: s.jobType.slice(8), href: `${BASE}/monitors` };
  return { kind: "schedule", name: s.id, href: schedulePath(s.id) };
}

function flowOf(payload: string): string | null {
  try {
    const flow = (JSON.parse(payload) as { flow?: unknown } | null)?.flow;
    return typeof flow === "string" ? flow : null;
  } catch {
    return null;
  }
}

function schedulesSection(d: OverviewData): Html {
  if (d.schedules.length === 0 && d.checks.length === 0)
    return html`<p class="muted">No schedules are stored.</p>`;
  const sorted = [...d.schedules].sort(
    (a, b) => compareHealth(a.health.status, b.health.status) || a.schedule.id.localeCompare(b.schedule.id),
  );
  return html`${legend}${table(
    "Schedules, flows and check-ins, worst first",
    [
      "Schedule, flow or check",
      "Health",
      "Recent ticks or pings",
      "Success 24 h · 7 d · 90 d",
      "On time 24 h · 7 d · 90 d",
    ],
    [
      ...sorted.map((r) => {
        const subject = subjectOf(r.schedule);
        return html`<tr data-health="${r.health.status}" data-subject="${r.schedule.id}"><th scope="row"><a href="${subject.href}">${subject.name}</a> <span class="muted small">${subject.kind}</span></th><td title="${r.health.reason}">${badge(
          r.health.status,
        )}</td><td>${outcomeStrip(r.ticks, { compact: true, jobHref: jobPath })}</td>${rateCells(d.rates.get(r.schedule.id))}</tr>`;
      }),
      ...d.checks.map((c) => checkRow(c.check, c.pings)),
    ],
    "",
  )}`;
}

function rateCells(rates: RateSummary | undefined): Html {
  if (!rates) return html`<td class="muted small">no rollups yet</td><td></td>`;
  const three = (pick: (w: RateSummary["24h"]) => number | null) =>
    (["24h", "7d", "90d"] as const).map((w) => percent(pick(rates[w]))).join(" · ");
  return html`<td class="small" data-rate="success">${three((w) => w.successRate)}</td><td class="small" data-rate="on-time">${three(
    (w) => w.onTimeRate,
  )}</td>`;
}

function heartbeatSection(d: OverviewData): Html {
  const hb = d.heartbeat;
  if (!hb.enabled) {
    return html`<p>The diagnostic heartbeat is off. Set <code>ENABLE_HEARTBEAT=1</code> to have a timed beat every minute and an event beat 10 s after it, proving both scheduling paths work.</p>`;
  }
  const s = hb.status;
  return html`<div class="hb-head">
  <p class="big" data-testid="heartbeat-status">Pair health ${badge(s.status)}</p>
  <p>Timed path ${badge(s.timed)} · Event path ${badge(s.event)}</p>
</div>
<p class="reason">${s.reason}</p>
<dl class="facts">
  <div><dt>Last timed beat</dt><dd>${
    s.lastTimed
      ? html`${when(s.lastTimed.ranAt, d.now)}, ${formatDuration(s.lastTimed.latenessMs)} after its minute`
      : html`<span class="muted">none yet</span>`
  }</dd></div>
  <div><dt>Last event beat</dt><dd>${
    s.lastEvent
      ? html`${when(s.lastEvent.ranAt, d.now)}, ${formatDuration(s.lastEvent.delayMs)} after its timed beat`
      : html`<span class="muted">none yet</span>`
  }</dd></div>
  <div><dt>Next beat</dt><dd>${s.schedule?.paused ? badge("paused") : when(s.schedule?.nextFireAt, d.now)}</dd></div>
</dl>
<h3>Last hour <span class="muted small">(bar: timed → event delay; reference 10 s, limit ${formatDuration(EVENT_LIMIT_MS)}; ✕ missing)</span></h3>
${heartbeatTimeline(hb.minutes, EVENT_LIMIT_MS)}
<details>
  <summary>The last hour as a table</summary>
  ${table(
    "Heartbeat minutes, newest first",
    ["Minute", "Status", "Tick", "Timed lateness", "Event delay"],
    hb.minutes
      .filter((m) => m.status !== "none")
      .reverse()
      .map(
        (m) =>
          html`<tr><td>${utc(m.minute).slice(0, 16)}</td><td>${badge(m.status)}</td><td>${m.decision ?? "—"}</td><td>${
            m.timedLatenessMs === null ? "—" : formatDuration(m.timedLatenessMs)
          }</td><td>${m.eventDelayMs === null ? "—" : formatDuration(m.eventDelayMs)}</td></tr>`,
      ),
    "No beats were expected in the last hour.",
  )}
</details>`;
}

function monitorsSection(d: OverviewData): Html {
  return table(
    "Monitors",
    ["Monitor", "State", "Last transition", "Last check"],
    d.monitors.map(
      (m) =>
        html`<tr><th scope="row"><a href="${BASE}/monitors/${encodeURIComponent(m.name)}">${m.name}</a></th><td>${badge(m.state)}</td><td>${
          m.lastTransition
            ? html`${m.lastTransition.from} → ${m.lastTransition.to}<br>${when(m.lastTransition.at, d.now)}`
            : html`<span class="muted">none</span>`
        }</td><td>${
          m.lastCheck
            ? html`${badge(m.lastCheck.ok ? "ok" : "failed")} ${when(m.lastCheck.at, d.now)}`
            : html`<span class="muted">not checked yet</span>`
        }</td></tr>`,
    ),
    "No monitors are defined.",
  );
}

function queuesSection(d: OverviewData): Html {
  return table(
    "Jobs per queue and state",
    ["Queue", ...STATES.map((s) => s.replace("_", " ")), "Oldest waiting"],
    d.queues.map(
      (q) =>
        html`<tr><th scope="row"><a href="${BASE}/jobs?queue=${encodeURIComponent(q.queue)}">${q.queue}</a></th>${STATES.map(
          (state) => {
            const n = q.counts[state] ?? 0;
            return html`<td class="num">${
              n === 0
                ? html`<span class="muted">0</span>`
                : html`<a href="${BASE}/jobs?queue=${encodeURIComponent(q.queue)}&amp;state=${state}">${n}</a>`
            }</td>`;
          },
        )}<td>${q.oldestWaitingMs === null ? html`<span class="muted">—</span>` : formatDuration(q.oldestWaitingMs)}</td></tr>`,
    ),
    "No jobs yet.",
  );
}

function failuresSection(d: OverviewData): Html {
  const f = d.failures;
  const count = (n: number, capped: boolean) => `${n}${capped ? "+" : ""}`;
  return html`<p><strong class="big">${count(f.runCount, f.runsCapped)}</strong> failed flow runs · <strong class="big">${count(
    f.jobCount,
    f.jobsCapped,
  )}</strong> discarded jobs</p>
${table(
  "Recent failed flow runs",
  ["Flow run", "When", "Error"],
  f.runs.map(
    (r) =>
      html`<tr><td><a href="${BASE}/flows/${encodeURIComponent(r.flow)}#run-${r.id}">${r.flow} #${r.id}</a></td><td>${when(
        r.endedAt ?? r.createdAt,
        d.now,
      )}</td><td class="error-text">${r.errorMessage ?? ""}</td></tr>`,
  ),
  "No failed flow runs.",
)}
${table(
  "Recent discarded jobs",
  ["Job", "When", "Error"],
  f.jobs.map(
    (j) =>
      html`<tr><td><a href="${BASE}/jobs/${j.id}">${j.type} #${j.id}</a></td><td>${when(
        j.finishedAt,
        d.now,
      )}</td><td class="error-text">${j.lastError ?? ""}</td></tr>`,
  ),
  "No discarded jobs.",
)}`;
}
