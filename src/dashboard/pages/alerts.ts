import type { CheckStatusView } from "../../checks/checks.ts";
import type { IncidentRow, SilenceRow } from "../../store/ports/alerts.ts";
import { badge, utc } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, csrfField, table } from "../layout.ts";
import type { Session } from "../session.ts";

/** A check-in as a row of the overview's schedules table: the same health badge column. */
export function checkRow(
  c: CheckStatusView,
  pings: readonly { kind: string; exitCode: number | null }[],
): Html {
  const strip = pings
    .slice()
    .reverse()
    .map((p) => {
      const ok = p.kind === "success" || (p.kind === "exit" && p.exitCode === 0);
      const tone = p.kind === "start" ? "info" : ok ? "ok" : "bad";
      const label = p.kind === "exit" ? `exit ${p.exitCode}` : p.kind;
      return html`<span class="tick tone-${tone}" title="${label}" aria-label="${label}"></span>`;
    });
  return html`<tr data-health="${c.state}" data-subject="check:${c.key}"><th scope="row"><a href="${BASE}/alerts">${c.key}</a> <span class="muted small">check</span></th><td>${badge(
    c.state,
  )}</td><td><span class="strip">${strip}</span></td><td class="small muted">${c.lastDurationMs === null ? "" : `last run ${c.lastDurationMs} ms`}</td><td class="small muted">${c.dueAt === null ? "" : `due ${utc(c.dueAt)}`}</td></tr>`;
}

/** The overview's incidents card: open incidents and silences in force. */
export function incidentsSummary(open: readonly IncidentRow[], silences: readonly SilenceRow[]): Html {
  const openList =
    open.length === 0
      ? html`<p class="muted">No open incident.</p>`
      : html`<ul>${open.map((i) => html`<li>${badge("failing", "open")} <strong>${i.rule}</strong> on ${i.subject} — ${i.summary}</li>`)}</ul>`;
  const silenced =
    silences.length === 0
      ? ""
      : html`<p class="small muted">${silences.length} silence${silences.length === 1 ? "" : "s"} in force (<a href="${BASE}/alerts">alerts</a>).</p>`;
  return html`${openList}${silenced}`;
}

export interface AlertsPageData {
  incidents: IncidentRow[];
  silences: SilenceRow[];
  checks: CheckStatusView[];
  rules: readonly { name: string; when: string; target: string; channels: readonly string[] }[];
  channels: readonly { name: string; kind: string; target: string }[];
}

/** The alerts page: incidents, silences (create, end), check-ins, rules and channels (no secrets). */
export function alertsBody(d: AlertsPageData, session: Session, now: number): Html {
  return html`<div class="grid">
<section class="card span-2" aria-labelledby="inc-title"><h2 id="inc-title">Incidents</h2>${table(
    "Incidents, newest first",
    ["Status", "Rule", "Subject", "Opened", "Resolved", "Summary"],
    d.incidents.map(
      (i) =>
        html`<tr data-incident="${i.id}"><td>${badge(i.status === "open" ? "failing" : "ok", i.status)}</td><td>${i.rule}</td><td>${i.subject}</td><td>${utc(i.openedAt)}</td><td>${i.resolvedAt === null ? "" : utc(i.resolvedAt)}</td><td>${i.summary}</td></tr>`,
    ),
    "No incident yet.",
  )}</section>
<section class="card span-2" aria-labelledby="sil-title"><h2 id="sil-title">Silences</h2>${table(
    "Silences",
    ["Rule", "Subject", "Until", "Reason", ""],
    d.silences.map(
      (s) =>
        html`<tr data-silence="${s.id}"><td>${s.rule ?? "any"}</td><td>${s.subject ?? "any"}</td><td>${utc(s.until)}${s.until <= now ? html` <span class="muted small">ended</span>` : ""}</td><td>${s.reason}</td><td>${
          s.until > now ? actionButton(session, `${BASE}/alerts/silences/${s.id}/end`, "End") : ""
        }</td></tr>`,
    ),
    "No silence.",
  )}
<form method="post" action="${BASE}/alerts/silences" class="edit-form" aria-label="New silence">${csrfField(session)}
  <label>Rule <select name="rule"><option value="">any</option>${d.rules.map((r) => html`<option value="${r.name}">${r.name}</option>`)}</select></label>
  <label>Subject <input name="subject" placeholder="check:backup"></label>
  <label>For <input name="for" value="2h" required></label>
  <label>Reason <input name="reason" required></label>
  <button type="submit" class="btn btn-primary">Silence</button>
</form></section>
<section class="card" aria-labelledby="chk-title"><h2 id="chk-title">Check-ins</h2>${table(
    "Check-ins",
    ["Check", "State", "Due"],
    d.checks.map(
      (c) =>
        html`<tr><th scope="row">${c.key}</th><td>${badge(c.state)}</td><td>${c.dueAt === null ? "" : utc(c.dueAt)}</td></tr>`,
    ),
    "No check-in is defined.",
  )}</section>
<section class="card" aria-labelledby="rules-title"><h2 id="rules-title">Rules and channels</h2>${table(
    "Rules",
    ["Rule", "Watches", "Channels"],
    d.rules.map(
      (r) =>
        html`<tr><th scope="row">${r.name}</th><td>${r.when} ${r.target}</td><td>${r.channels.join(", ")}</td></tr>`,
    ),
    "No alert rule.",
  )}${table(
    "Channels",
    ["Channel", "Target"],
    d.channels.map((c) => html`<tr><th scope="row">${c.name}</th><td>${c.target}</td></tr>`),
    "No channel.",
  )}</section>
</div>`;
}
