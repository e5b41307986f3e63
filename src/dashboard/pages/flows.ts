import type { FlowStatus } from "../../flows/flow-service.ts";
import type { FlowRunRow } from "../../store/ports/rows.ts";
import { durationChart } from "../charts.ts";
import { badge, duration, percent, trigger, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, live, table } from "../layout.ts";
import type { Session } from "../session.ts";

export const flowPath = (name: string) => `${BASE}/flows/${encodeURIComponent(name)}`;

export function flowsBody(flows: FlowStatus[], now: number): Html {
  return live(
    "flows-list",
    table(
      "Flows",
      ["Flow", "Enabled", "Schedule", "Last run", "Next run", "Success rate", "p50", "p95", "Runs"],
      flows.map(
        (f) =>
          html`<tr><th scope="row"><a href="${flowPath(f.name)}">${f.name}</a>${
            f.removedAt !== null ? html` ${badge("removed", "removed from code")}` : ""
          }</th><td>${badge(f.enabled ? "enabled" : "disabled")}</td><td>${trigger(f.schedule)}</td><td>${
            f.activeRun
              ? html`${badge(f.activeRun.status)} ${when(f.activeRun.startedAt ?? f.activeRun.createdAt, now)}`
              : f.lastRunStatus
                ? html`${badge(f.lastRunStatus)} ${when(f.lastRunAt, now)}`
                : html`<span class="muted">never</span>`
          }</td><td>${f.enabled && f.removedAt === null ? when(f.nextRunAt, now) : html`<span class="muted">—</span>`}</td><td class="num">${percent(
            f.stats.successRate,
          )}</td><td class="num">${duration(f.stats.p50DurationMs)}</td><td class="num">${duration(
            f.stats.p95DurationMs,
          )}</td><td class="num">${f.stats.runs}</td></tr>`,
      ),
      "No flows are defined. Define them with defineFlow(…) or in the flows folder.",
    ),
  );
}

export interface FlowPageData {
  flow: FlowStatus;
  runs: FlowRunRow[];
  /** The cursor of this page (null: newest). */
  before: string | null;
  nextCursor: string | null;
  now: number;
  session: Session;
}

export function flowBody(d: FlowPageData): Html {
  const { flow, session, now } = d;
  const path = flowPath(flow.name);
  const canTrigger = flow.enabled && flow.removedAt === null;
  return html`<p><a href="${BASE}/flows">← All flows</a></p>
<section class="card" aria-labelledby="flow-facts">
  <h2 id="flow-facts" class="sr-only">Status and actions</h2>
  ${live(
    "flow-facts-live",
    html`<dl class="facts">
    <div><dt>State</dt><dd>${badge(flow.enabled ? "enabled" : "disabled")}${flow.removedAt !== null ? html` ${badge("removed", "removed from code")}` : ""}</dd></div>
    <div><dt>Schedule</dt><dd>${trigger(flow.schedule)}</dd></div>
    <div><dt>Queue</dt><dd>${flow.queue}</dd></div>
    <div><dt>Retries</dt><dd>${flow.retries}</dd></div>
    <div><dt>Last run</dt><dd>${flow.lastRunStatus ? html`${badge(flow.lastRunStatus)} ${when(flow.lastRunAt, now)}` : html`<span class="muted">never</span>`}</dd></div>
    <div><dt>Next run</dt><dd>${flow.enabled && flow.removedAt === null ? when(flow.nextRunAt, now) : html`<span class="muted">—</span>`}</dd></div>
    <div><dt>Active run</dt><dd>${flow.activeRun ? html`<a href="#run-${flow.activeRun.id}">#${flow.activeRun.id}</a> ${badge(flow.activeRun.status)}` : html`<span class="muted">none</span>`}</dd></div>
    <div><dt>Success rate</dt><dd>${percent(flow.stats.successRate)} <span class="muted">of ${flow.stats.runs} finished runs</span></dd></div>
    <div><dt>Duration p50 / p95</dt><dd>${duration(flow.stats.p50DurationMs)} / ${duration(flow.stats.p95DurationMs)}</dd></div>
  </dl>`,
  )}
  <div class="actions">
    ${
      canTrigger
        ? actionButton(session, `${path}/trigger`, "Trigger now", { tone: "primary" })
        : html`<button type="button" class="btn btn-primary" disabled>Trigger now</button>`
    }
    ${
      flow.enabled
        ? actionButton(session, `${path}/disable`, "Disable", {
            tone: "danger",
            confirm: `Disable flow ${flow.name}? Triggers are refused and its schedule pauses.`,
          })
        : actionButton(session, `${path}/enable`, "Enable")
    }
  </div>
  ${flow.defined ? "" : html`<p class="muted small">This process does not load this flow's code; its runs need a worker that does.</p>`}
</section>
<section class="card" aria-labelledby="chart-title">
  <h2 id="chart-title">Durations <span class="muted small">(runs on this page)</span></h2>
  ${live("flow-chart", durationChart(d.runs))}
</section>
<section class="card" aria-labelledby="runs-title">
  <h2 id="runs-title">Run history</h2>
  ${live("flow-runs", runsTable(d.runs, now))}
  ${pager(path, {}, d.before, d.nextCursor)}
</section>`;
}

function runsTable(runs: FlowRunRow[], now: number): Html {
  return table(
    "Runs, newest first",
    ["Run", "Status", "Source", "Attempt", "Started", "Duration", "Error"],
    runs.map(
      (r) =>
        html`<tr id="run-${r.id}" data-run-status="${r.status}"><td class="num">#${r.id}</td><td>${badge(r.status)}</td><td>${r.source}</td><td class="num">${r.attempt}</td><td>${when(
          r.startedAt ?? r.createdAt,
          now,
        )}</td><td class="num">${duration(r.durationMs)}</td><td class="error-cell">${
          r.errorMessage
            ? html`<span class="error-text">${r.errorMessage}</span>${
                r.errorStack
                  ? html`<details id="stack-${r.id}"><summary>Stack</summary><pre>${r.errorStack}</pre></details>`
                  : ""
              }`
            : ""
        }</td></tr>`,
    ),
    "No runs yet.",
  );
}

/** Cursor pagination: newest page, and the next older page when there is one (keyset: `before` an id). */
export function pager(
  path: string,
  query: Record<string, string | undefined>,
  before: string | null,
  nextCursor: string | null,
): Html {
  const link = (cursor: string | null) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") params.set(k, v);
    if (cursor !== null) params.set("before", cursor);
    const qs = params.toString();
    return qs ? `${path}?${qs}` : path;
  };
  return html`<nav class="pager" aria-label="Pages">${before !== null ? html`<a class="pager-link" href="${link(null)}">« Newest</a>` : ""}${
    nextCursor !== null
      ? html`<a class="pager-link" rel="next" href="${link(nextCursor)}">Older »</a>`
      : html`<span class="muted">End of list</span>`
  }</nav>`;
}
