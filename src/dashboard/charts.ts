import { formatDuration } from "../core/duration.ts";
import type { TickMark, TickView } from "../core/tick-vocabulary.ts";
import type { FlowRunRow, TickRow } from "../store/ports/rows.ts";
import { utc } from "./format.ts";
import { type Html, html } from "./html.ts";

/**
 * Charts as inline SVG (no script, no library): sized by viewBox and scaled by CSS, coloured by
 * class so the stylesheet's light and dark palettes apply. Every mark has a <title> (a tooltip and
 * its accessible name) and every chart a summary label; shapes differ, not only colours.
 */

const round = (n: number) => Math.round(n * 10) / 10;

/** Durations of finished runs, oldest left: green bars for success, red bars with a cross for failures. */
export function durationChart(runs: readonly FlowRunRow[]): Html {
  const finished = runs
    .filter((r) => r.durationMs !== null && (r.status === "success" || r.status === "failed"))
    .slice()
    .reverse();
  if (finished.length === 0)
    return html`<p class="muted">No finished runs with a duration on this page yet.</p>`;
  const width = 640;
  const height = 160;
  const top = 14;
  const bottom = 20;
  const left = 48;
  const max = Math.max(1, ...finished.map((r) => r.durationMs!));
  const slot = (width - left) / Math.max(finished.length, 10);
  const barWidth = Math.max(2, slot * 0.7);
  const plot = height - top - bottom;
  const failures = finished.filter((r) => r.status === "failed").length;
  const bars = finished.map((r, i) => {
    const h = Math.max(1.5, (r.durationMs! / max) * plot);
    const x = round(left + i * slot + (slot - barWidth) / 2);
    const y = round(top + plot - h);
    const label = `run ${r.id}: ${r.status}, ${formatDuration(r.durationMs!)}${r.startedAt ? `, started ${utc(r.startedAt)}` : ""}`;
    const failed = r.status === "failed";
    const cx = round(x + barWidth / 2);
    return html`<g class="${failed ? "c-bad" : "c-ok"}"><title>${label}</title><rect x="${x}" y="${y}" width="${round(barWidth)}" height="${round(h)}" rx="1"></rect>${
      failed ? html`<path class="mark" d="M${cx - 3} ${round(y - 10)}l6 6m0 -6l-6 6"></path>` : ""
    }</g>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Durations of ${finished.length} finished runs, oldest first; longest ${formatDuration(max)}; ${failures} failed">
  <line class="axis" x1="${left}" y1="${top + plot}" x2="${width}" y2="${top + plot}"></line>
  <line class="grid" x1="${left}" y1="${top}" x2="${width}" y2="${top}"></line>
  <text class="tick-label" x="${left - 6}" y="${top + 4}" text-anchor="end">${formatDuration(max)}</text>
  <text class="tick-label" x="${left - 6}" y="${top + plot + 4}" text-anchor="end">0</text>
  <text class="tick-label" x="${left}" y="${height - 4}">older</text>
  <text class="tick-label" x="${width}" y="${height - 4}" text-anchor="end">newer</text>
  ${bars}
</svg>`;
}

/**
 * Schedule ticks, oldest left: fired ● (filled), missed ✕ (red cross, taller), skipped ○ (hollow),
 * so a missed tick stands out whatever the colours.
 */
export function tickStrip(ticks: readonly TickRow[], options: { compact?: boolean } = {}): Html {
  if (ticks.length === 0) return html`<p class="muted">No ticks recorded yet.</p>`;
  const ordered = ticks.slice().reverse();
  const step = options.compact ? 10 : 16;
  const height = options.compact ? 22 : 34;
  const width = Math.max(step * ordered.length + 8, 40);
  const mid = height / 2;
  const counts = { fired: 0, missed: 0, skipped: 0 };
  const marks = ordered.map((t, i) => {
    counts[t.decision]++;
    const x = 8 + i * step;
    const label = `${utc(t.nominalAt)}: ${t.decision}${t.reason ? ` (${t.reason})` : ""}${
      t.startedAt !== null ? `, started ${formatDuration(Math.max(0, t.startedAt - t.nominalAt))} late` : ""
    }`;
    if (t.decision === "missed") {
      const r = options.compact ? 4 : 5;
      return html`<g class="c-bad tick-missed"><title>${label}</title><path class="mark" d="M${x - r} ${mid - r}l${2 * r} ${2 * r}m0 -${2 * r}l-${2 * r} ${2 * r}"></path></g>`;
    }
    if (t.decision === "skipped") {
      return html`<g class="c-neutral tick-skipped"><title>${label}</title><circle class="hollow" cx="${x}" cy="${mid}" r="${options.compact ? 3.2 : 4}"></circle></g>`;
    }
    return html`<g class="c-ok tick-fired"><title>${label}</title><circle cx="${x}" cy="${mid}" r="${options.compact ? 3.6 : 4.5}"></circle></g>`;
  });
  return html`<svg class="strip" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${ordered.length} ticks, oldest first: ${counts.fired} fired, ${counts.missed} missed, ${counts.skipped} skipped">${marks}</svg>`;
}

/** Colour and shape of each mark: never colour alone (✕ missed, ■ failed, ○ skipped, ◆ late). */
const MARK_STYLE: Record<TickMark, { tone: string; shape: "dot" | "cross" | "ring" | "square" | "diamond" }> =
  {
    succeeded: { tone: "ok", shape: "dot" },
    failed: { tone: "bad", shape: "square" },
    missed: { tone: "bad", shape: "cross" },
    late: { tone: "warn", shape: "diamond" },
    retrying: { tone: "warn", shape: "square" },
    running: { tone: "info", shape: "dot" },
    pending: { tone: "neutral", shape: "dot" },
    skipped: { tone: "neutral", shape: "ring" },
  };

/**
 * Ticks in the one vocabulary (core/tick-vocabulary), oldest left, each cell coloured by its
 * decision and outcome — succeeded, failed, missed, skipped, running, late — and, when the tick
 * fired a job, a link to it (`jobHref`).
 */
export function outcomeStrip(
  ticks: readonly TickView[],
  options: { compact?: boolean; jobHref?: (jobId: string) => string } = {},
): Html {
  if (ticks.length === 0) return html`<p class="muted">No ticks recorded yet.</p>`;
  const ordered = ticks.slice().reverse();
  const step = options.compact ? 10 : 16;
  const height = options.compact ? 22 : 34;
  const width = Math.max(step * ordered.length + 8, 40);
  const mid = height / 2;
  const counts = new Map<TickMark, number>();
  const marks = ordered.map((t, i) => {
    counts.set(t.mark, (counts.get(t.mark) ?? 0) + 1);
    const x = 8 + i * step;
    const r = options.compact ? 3.6 : 4.5;
    const label = `${utc(t.nominalAt)}: ${t.decision}${t.outcome ? `, ${t.outcome}` : ""}${t.late ? ", late" : ""}${
      t.reason ? ` (${t.reason})` : ""
    }${t.latenessMs !== null ? `, started ${formatDuration(t.latenessMs)} after its time` : ""}`;
    const style = MARK_STYLE[t.mark];
    const shape =
      style.shape === "cross"
        ? html`<path class="mark" d="M${x - r} ${mid - r}l${2 * r} ${2 * r}m0 -${2 * r}l-${2 * r} ${2 * r}"></path>`
        : style.shape === "ring"
          ? html`<circle class="hollow" cx="${x}" cy="${mid}" r="${r - 0.5}"></circle>`
          : style.shape === "square"
            ? html`<rect x="${x - r}" y="${mid - r}" width="${2 * r}" height="${2 * r}"></rect>`
            : style.shape === "diamond"
              ? html`<path d="M${x} ${mid - r - 1}l${r + 1} ${r + 1}l-${r + 1} ${r + 1}l-${r + 1} -${r + 1}z"></path>`
              : html`<circle cx="${x}" cy="${mid}" r="${r}"></circle>`;
    const cell = html`<g class="c-${style.tone} tick-${t.mark}" data-mark="${t.mark}"><title>${label}</title>${shape}</g>`;
    return t.jobId && options.jobHref ? html`<a href="${options.jobHref(t.jobId)}">${cell}</a>` : cell;
  });
  const summary = [...counts.entries()].map(([mark, n]) => `${n} ${mark}`).join(", ");
  return html`<svg class="strip" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${ordered.length} ticks, oldest first: ${summary}">${marks}</svg>`;
}

/** One minute of the heartbeat timeline. */
export interface BeatMinute {
  /** The minute (epoch ms, on the boundary). */
  minute: number;
  /** fired/missed/skipped from the tick; null when no tick was recorded for this minute. */
  decision: "fired" | "missed" | "skipped" | null;
  /** Timed beat start − its minute. */
  timedLatenessMs: number | null;
  /** Event start − timed beat start (≈ 10 s when healthy). */
  eventDelayMs: number | null;
  status: "ok" | "late" | "missing" | "pending" | "none";
}

/** The last hour of beats: one column per minute, bar height = timed → event delay, 10 s reference line. */
export function heartbeatTimeline(minutes: readonly BeatMinute[], limitMs: number): Html {
  const width = 640;
  const height = 120;
  const top = 10;
  const bottom = 18;
  const left = 40;
  const plot = height - top - bottom;
  const scaleMax = Math.max(20_000, limitMs * 1.4, ...minutes.map((m) => m.eventDelayMs ?? 0));
  const slot = (width - left) / Math.max(1, minutes.length);
  const y = (ms: number) => round(top + plot - (Math.min(ms, scaleMax) / scaleMax) * plot);
  const counts = { ok: 0, late: 0, missing: 0 };
  const columns = minutes.map((m, i) => {
    const x = round(left + i * slot + slot * 0.15);
    const w = round(slot * 0.7);
    const cx = round(x + w / 2);
    if (m.status === "ok" || m.status === "late" || m.status === "missing") counts[m.status]++;
    const label = `${utc(m.minute)}: ${m.status}${m.decision ? `, tick ${m.decision}` : ""}${
      m.timedLatenessMs !== null ? `, timed +${formatDuration(m.timedLatenessMs)}` : ""
    }${m.eventDelayMs !== null ? `, event after ${formatDuration(m.eventDelayMs)}` : ""}`;
    if (m.status === "missing") {
      return html`<g class="c-bad"><title>${label}</title><path class="mark" d="M${cx - 4} ${top + plot - 12}l8 8m0 -8l-8 8"></path></g>`;
    }
    if (m.eventDelayMs !== null) {
      const tone = m.status === "late" ? "c-warn" : "c-ok";
      return html`<g class="${tone}"><title>${label}</title><rect x="${x}" y="${y(m.eventDelayMs)}" width="${w}" height="${round(top + plot - y(m.eventDelayMs))}" rx="1"></rect></g>`;
    }
    if (m.status === "pending" || m.decision === "fired") {
      return html`<g class="c-info"><title>${label}</title><circle cx="${cx}" cy="${top + plot - 4}" r="2.5"></circle></g>`;
    }
    return html`<g class="c-neutral"><title>${label}</title><line class="axis" x1="${cx}" y1="${top + plot - 2}" x2="${cx}" y2="${top + plot}"></line></g>`;
  });
  const first = minutes[0];
  const last = minutes.at(-1);
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-label="Heartbeat, last ${minutes.length} minutes: ${counts.ok} on time, ${counts.late} late, ${counts.missing} missing; bar height is the delay from the timed beat to its event">
  <line class="axis" x1="${left}" y1="${top + plot}" x2="${width}" y2="${top + plot}"></line>
  <line class="ref" x1="${left}" y1="${y(10_000)}" x2="${width}" y2="${y(10_000)}"></line>
  <line class="limit" x1="${left}" y1="${y(limitMs)}" x2="${width}" y2="${y(limitMs)}"></line>
  <text class="tick-label" x="${left - 4}" y="${y(10_000) + 4}" text-anchor="end">10s</text>
  <text class="tick-label" x="${left - 4}" y="${y(limitMs) + 4}" text-anchor="end">${formatDuration(limitMs)}</text>
  ${first ? html`<text class="tick-label" x="${left}" y="${height - 4}">${utc(first.minute).slice(11, 16)}</text>` : ""}
  ${last ? html`<text class="tick-label" x="${width}" y="${height - 4}" text-anchor="end">${utc(last.minute).slice(11, 16)}</text>` : ""}
  ${columns}
</svg>`;
}
