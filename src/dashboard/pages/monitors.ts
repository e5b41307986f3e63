import { formatDuration } from "../../core/duration.ts";
import type { JobRunRow, MonitorRow, MonitorTransitionRow } from "../../store/ports/rows.ts";
import { badge, duration, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { BASE, live, table } from "../layout.ts";

export const monitorPath = (name: string) => `${BASE}/monitors/${encodeURIComponent(name)}`;

export function monitorsBody(monitors: MonitorRow[], now: number): Html {
  return live(
    "monitors-list",
    table(
      "Monitors",
      [
        "Monitor",
        "State",
        "Target",
        "Every",
        "Successes / failures",
        "Checks",
        "Last check",
        "Last transition",
        "Closed queues",
      ],
      monitors.map(
        (m) =>
          html`<tr><th scope="row"><a href="${monitorPath(m.name)}">${m.name}</a></th><td>${badge(m.state)}</td><td class="clip">${
            m.target
          }</td><td>${formatDuration(m.intervalMs)}</td><td class="num">${m.successes} / ${m.failures}</td><td class="num">${m.checks}</td><td>${
            m.lastCheck
              ? html`${badge(m.lastCheck.ok ? "ok" : "failed")} ${when(m.lastCheck.at, now)}`
              : html`<span class="muted">not yet</span>`
          }</td><td>${
            m.lastTransition
              ? html`${m.lastTransition.from} → ${m.lastTransition.to} ${when(m.lastTransition.at, now)}`
              : html`<span class="muted">none</span>`
          }</td><td>${m.closedQueues.length ? m.closedQueues.join(", ") : html`<span class="muted">none</span>`}</td></tr>`,
      ),
      "No monitors are defined.",
    ),
  );
}

export function monitorBody(
  m: MonitorRow,
  transitions: MonitorTransitionRow[],
  checks: JobRunRow[],
  now: number,
): Html {
  return html`<p><a href="${BASE}/monitors">← All monitors</a></p>
<section class="card" aria-labelledby="mon-facts">
  <h2 id="mon-facts" class="sr-only">State</h2>
  ${live(
    "monitor-facts",
    html`<dl class="facts">
    <div><dt>State</dt><dd>${badge(m.state)}</dd></div>
    <div><dt>Target</dt><dd>${m.target}</dd></div>
    <div><dt>Every</dt><dd>${formatDuration(m.intervalMs)} <span class="muted">(timeout ${formatDuration(m.timeoutMs)})</span></dd></div>
    <div><dt>Goes ONLINE after</dt><dd>${m.riseAfter} successes in a row</dd></div>
    <div><dt>Goes OFFLINE after</dt><dd>${m.fallAfter} failures in a row</dd></div>
    <div><dt>Counters</dt><dd>${m.successes} successes, ${m.failures} failures in a row · ${m.checks} checks</dd></div>
    <div><dt>Last check</dt><dd>${
      m.lastCheck
        ? html`${badge(m.lastCheck.ok ? "ok" : "failed")} ${when(m.lastCheck.at, now)} in ${formatDuration(m.lastCheck.durationMs)}${
            m.lastCheck.error ? html`<br><span class="error-text">${m.lastCheck.error}</span>` : ""
          }`
        : html`<span class="muted">not yet</span>`
    }</dd></div>
    <div><dt>Gates</dt><dd>${m.gates.length ? m.gates.join(", ") : html`<span class="muted">none</span>`}${
      m.closedQueues.length
        ? html` — <strong class="text-bad">closed: ${m.closedQueues.join(", ")}</strong>`
        : ""
    }</dd></div>
  </dl>`,
  )}
</section>
<section class="card" aria-labelledby="checks-title">
  <h2 id="checks-title">Check history <span class="muted small">(the monitor's check jobs, newest first)</span></h2>
  ${live(
    "monitor-checks",
    table(
      "Checks, newest first",
      ["Started", "Outcome", "Duration", "Error"],
      checks.map(
        (r) =>
          html`<tr><td>${when(r.startedAt, now)}</td><td>${checkOutcome(r.outcome)}</td><td class="num">${duration(
            r.durationMs,
          )}</td><td class="error-text">${r.errorMessage ?? ""}</td></tr>`,
      ),
      "No check has run yet (or their jobs were pruned).",
    ),
  )}
</section>
<section class="card" aria-labelledby="tr-title">
  <h2 id="tr-title">Transitions</h2>
  ${live(
    "monitor-transitions",
    table(
      "Transitions, newest first",
      ["When", "From", "To", "Successes / failures", "Error"],
      transitions.map(
        (t) =>
          html`<tr><td>${when(t.at, now)}</td><td>${badge(t.from)}</td><td>${badge(t.to)}</td><td class="num">${t.successes} / ${
            t.failures
          }</td><td class="error-text">${t.error ?? ""}</td></tr>`,
      ),
      "No transitions yet.",
    ),
  )}
</section>`;
}

/** A check job's outcome as a check result: a failed check discards its one-attempt job. */
function checkOutcome(outcome: JobRunRow["outcome"]): Html {
  if (outcome === "succeeded") return badge("ok");
  if (outcome === "failed" || outcome === "discarded") return badge("failed");
  return badge(outcome);
}
