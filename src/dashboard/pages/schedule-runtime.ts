import { formatDuration } from "../../core/duration.ts";
import type { ScheduleFilter, ScheduleRow } from "../../store/ports/rows.ts";
import { badge } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, csrfField } from "../layout.ts";
import type { Session } from "../session.ts";

const path = (key: string) => `${BASE}/schedules/${encodeURIComponent(key)}`;

/** `name=value, name=value` as the edit form shows and reads labels. */
export const labelsText = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

/** Source and metadata beside a schedule's name in the list. */
export function scheduleTags(s: ScheduleRow): Html {
  const meta = [s.owner && `owner ${s.owner}`, s.tenant && `tenant ${s.tenant}`, labelsText(s.labels)].filter(
    Boolean,
  );
  return html`${s.source === "runtime" ? html` ${badge("runtime")}` : ""}${
    meta.length > 0 ? html`<br><span class="muted small">${meta.join(" · ")}</span>` : ""
  }`;
}

/** The list's filter: source, owner, tenant, one label (GET, so a filtered list can be linked). */
export function scheduleFilterForm(filter: ScheduleFilter): Html {
  const label = Object.entries(filter.labels ?? {})[0];
  const option = (value: string, text: string) =>
    html`<option value="${value}"${filter.source === value || (!filter.source && !value) ? html` selected` : ""}>${text}</option>`;
  return html`<form method="get" action="${BASE}/schedules" class="filters" aria-label="Filter schedules">
  <label>Source <select name="source">${option("", "all")}${option("code", "code")}${option("runtime", "runtime")}</select></label>
  <label>Owner <input name="owner" value="${filter.owner ?? ""}" size="12"></label>
  <label>Tenant <input name="tenant" value="${filter.tenant ?? ""}" size="12"></label>
  <label>Label <input name="label" value="${label ? `${label[0]}:${label[1]}` : ""}" placeholder="name:value" size="14"></label>
  <button type="submit" class="btn btn-plain">Filter</button>
</form>`;
}

/** Facts a schedule page adds: where it comes from and its metadata. */
export function scheduleMetaFacts(s: ScheduleRow): Html {
  const source =
    s.source === "runtime"
      ? "runtime (tickflow.schedules.upsert, the API or the CLI)"
      : `code${s.declaredBy ? ` (code version ${s.declaredBy})` : ""}`;
  return html`<div><dt>Source</dt><dd>${source}</dd></div>
    <div><dt>Owner</dt><dd>${s.owner ?? html`<span class="muted">—</span>`}</dd></div>
    <div><dt>Tenant</dt><dd>${s.tenant ?? html`<span class="muted">—</span>`}</dd></div>
    <div><dt>Labels</dt><dd>${labelsText(s.labels) || html`<span class="muted">—</span>`}</dd></div>`;
}

/** Edit and delete, for a runtime schedule only: code schedules change in code. */
export function runtimeScheduleEditor(session: Session, s: ScheduleRow): Html {
  if (s.source !== "runtime") return html``;
  const t = s.trigger;
  const value = {
    cron: t?.kind === "cron" ? t.expression : "",
    timezone: t?.kind === "cron" ? t.timezone : "",
    every: t?.kind === "every" ? formatDuration(t.intervalMs) : "",
    at: t?.kind === "at" ? new Date(t.at).toISOString() : "",
  };
  const select = (name: string, options: readonly string[], current: string) =>
    html`<select name="${name}">${options.map(
      (o) => html`<option value="${o}"${o === current ? html` selected` : ""}>${o}</option>`,
    )}</select>`;
  return html`<section class="card" aria-labelledby="edit-title">
  <h2 id="edit-title">Edit this runtime schedule</h2>
  <form method="post" action="${path(s.id)}/edit" class="edit-form">${csrfField(session)}
    <p class="small muted">Give one of cron, every or at. The change keeps every tick exactly once.</p>
    <label>Job type <input name="job" value="${s.jobType}" required></label>
    <label>Cron <input name="cron" value="${value.cron}" placeholder="0 9 * * *"></label>
    <label>Time zone <input name="timezone" value="${value.timezone}" placeholder="UTC"></label>
    <label>Every <input name="every" value="${value.every}" placeholder="5m"></label>
    <label>At <input name="at" value="${value.at}" placeholder="2030-01-01T09:00:00Z"></label>
    <label>Payload (JSON) <textarea name="payload" rows="3">${s.payload}</textarea></label>
    <label>Misfire ${select("misfire", ["skip", "latest", "all"], s.misfire)}</label>
    <label>Overlap ${select("overlap", ["allow", "skip"], s.overlap)}</label>
    <label>Owner <input name="owner" value="${s.owner ?? ""}"></label>
    <label>Tenant <input name="tenant" value="${s.tenant ?? ""}"></label>
    <label>Labels <input name="labels" value="${labelsText(s.labels)}" placeholder="name=value, name=value"></label>
    <button type="submit" class="btn btn-primary">Save</button>
  </form>
  <div class="actions">${actionButton(session, `${path(s.id)}/delete`, "Delete", {
    tone: "danger",
    confirm: `Delete the runtime schedule ${s.id}? Its tick history stays.`,
  })}</div>
</section>`;
}
