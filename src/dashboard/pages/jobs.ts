import { formatDuration } from "../../core/duration.ts";
import { JOB_STATES, type JobState } from "../../core/job-state.ts";
import type { JobRow, JobRunRow } from "../../store/ports/rows.ts";
import type { QueueSummary } from "../data.ts";
import { badge, duration, jobTypeLabel, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, live, table } from "../layout.ts";
import type { Session } from "../session.ts";
import { pager } from "./flows.ts";
import { schedulePath } from "./schedules.ts";

export interface JobsPageData {
  queues: QueueSummary[];
  queue: string | undefined;
  state: JobState | undefined;
  jobs: JobRow[];
  before: string | null;
  nextCursor: string | null;
  now: number;
}

/** What the store retries (a scheduled job: run now). */
const RETRYABLE: readonly JobState[] = ["discarded", "cancelled", "retry_scheduled", "scheduled"];
const CANCELLABLE: readonly JobState[] = ["scheduled", "available", "running", "retry_scheduled"];

export function jobsBody(d: JobsPageData): Html {
  const queueNames = d.queues.map((q) => q.queue);
  if (d.queue && !queueNames.includes(d.queue)) queueNames.push(d.queue);
  return html`<form method="get" action="${BASE}/jobs" class="card filters" aria-label="Filter jobs">
  <div class="field"><label for="f-queue">Queue</label>
    <select id="f-queue" name="queue"><option value="">all queues</option>${queueNames.map(
      (q) => html`<option value="${q}"${q === d.queue ? html` selected` : ""}>${q}</option>`,
    )}</select></div>
  <div class="field"><label for="f-state">State</label>
    <select id="f-state" name="state"><option value="">all states</option>${JOB_STATES.map(
      (s) =>
        html`<option value="${s}"${s === d.state ? html` selected` : ""}>${s.replace("_", " ")}</option>`,
    )}</select></div>
  <button type="submit" class="btn btn-primary">Show</button>
</form>
<section class="card" aria-labelledby="counts-title">
  <h2 id="counts-title">By queue and state</h2>
  ${live(
    "jobs-counts",
    html`<ul class="chips">${d.queues.map(
      (q) =>
        html`<li><a href="${BASE}/jobs?queue=${encodeURIComponent(q.queue)}"><strong>${q.queue}</strong></a>${Object.entries(
          q.counts,
        ).map(
          ([state, n]) =>
            html` <a class="chip" href="${BASE}/jobs?queue=${encodeURIComponent(q.queue)}&amp;state=${state}">${state.replace("_", " ")} ${n}</a>`,
        )}${q.oldestWaitingMs !== null ? html` <span class="muted small">oldest waiting ${formatDuration(q.oldestWaitingMs)}</span>` : ""}</li>`,
    )}</ul>`,
  )}
</section>
<section class="card" aria-labelledby="jobs-title">
  <h2 id="jobs-title">Jobs${d.queue ? html` in ${d.queue}` : ""}${d.state ? html`, ${d.state.replace("_", " ")}` : ""} <span class="muted small">(newest first)</span></h2>
  ${live(
    "jobs-list",
    table(
      "Jobs, newest first",
      ["Job", "Type", "Queue", "State", "Attempts", "Run at", "Finished", "Last error"],
      d.jobs.map(
        (j) =>
          html`<tr data-job-id="${j.id}"><td class="num"><a href="${BASE}/jobs/${j.id}">#${j.id}</a></td><td>${jobTypeLabel(j)}</td><td>${
            j.queue
          }</td><td>${badge(j.state)}</td><td class="num">${j.attempt} / ${j.maxAttempts}</td><td>${when(j.runAt, d.now)}</td><td>${when(
            j.finishedAt,
            d.now,
          )}</td><td class="error-text clip">${j.lastError ?? ""}</td></tr>`,
      ),
      "No jobs match.",
    ),
  )}
  ${pager(`${BASE}/jobs`, { queue: d.queue, state: d.state }, d.before, d.nextCursor)}
</section>`;
}

export function jobBody(job: JobRow, runs: JobRunRow[], now: number, session: Session): Html {
  const path = `${BASE}/jobs/${job.id}`;
  return html`<p><a href="${BASE}/jobs?queue=${encodeURIComponent(job.queue)}">← Jobs in ${job.queue}</a></p>
<section class="card" aria-labelledby="job-facts">
  <h2 id="job-facts" class="sr-only">Status and actions</h2>
  ${live(
    "job-facts-live",
    html`<dl class="facts">
    <div><dt>State</dt><dd data-testid="job-state">${badge(job.state)}</dd></div>
    <div><dt>Type</dt><dd>${jobTypeLabel(job)}</dd></div>
    <div><dt>Queue</dt><dd>${job.queue}</dd></div>
    <div><dt>Attempts</dt><dd>${job.attempt} of ${job.maxAttempts}</dd></div>
    <div><dt>Priority</dt><dd>${job.priority}</dd></div>
    <div><dt>Run at</dt><dd>${when(job.runAt, now)}</dd></div>
    <div><dt>Created</dt><dd>${when(job.createdAt, now)}</dd></div>
    <div><dt>Finished</dt><dd>${when(job.finishedAt, now)}</dd></div>
    ${job.key ? html`<div><dt>Key</dt><dd>${job.key}</dd></div>` : ""}
    ${job.scheduleId ? html`<div><dt>Schedule</dt><dd><a href="${schedulePath(job.scheduleId)}">${job.scheduleId}</a>, tick ${when(job.nominalAt, now)}</dd></div>` : ""}
    ${job.leaseOwner ? html`<div><dt>Leased by</dt><dd>${job.leaseOwner} until ${when(job.leaseExpiresAt, now)}</dd></div>` : ""}
    ${job.lastError ? html`<div class="wide"><dt>Last error</dt><dd class="error-text">${job.lastError}</dd></div>` : ""}
  </dl>`,
  )}
  <div class="actions">
    ${RETRYABLE.includes(job.state) ? actionButton(session, `${path}/retry`, job.state === "scheduled" ? "Run now" : "Retry now", { tone: "primary" }) : ""}
    ${CANCELLABLE.includes(job.state) ? actionButton(session, `${path}/cancel`, "Cancel", { tone: "danger", confirm: `Cancel job #${job.id}?` }) : ""}
  </div>
</section>
<section class="card" aria-labelledby="payload-title">
  <h2 id="payload-title">Payload</h2>
  <pre class="payload">${JSON.stringify(job.payload, null, 2) ?? "null"}</pre>
</section>
<section class="card" aria-labelledby="attempts-title">
  <h2 id="attempts-title">Attempts</h2>
  ${live(
    "job-attempts",
    table(
      "Attempts, oldest first",
      ["Attempt", "Worker", "Started", "Ended", "Duration", "Outcome", "Error"],
      runs.map(
        (r) =>
          html`<tr><td class="num">${r.attempt}</td><td class="clip">${r.workerId}</td><td>${when(r.startedAt, now)}</td><td>${when(
            r.endedAt,
            now,
          )}</td><td class="num">${duration(r.durationMs)}</td><td>${badge(r.outcome)}</td><td class="error-cell">${
            r.errorMessage ? html`<span class="error-text">${r.errorMessage}</span>` : ""
          }${r.errorStack ? html`<details id="attempt-stack-${r.id}"><summary>Stack</summary><pre>${r.errorStack}</pre></details>` : ""}</td></tr>`,
      ),
      "No attempt has finished yet.",
    ),
  )}
</section>`;
}
