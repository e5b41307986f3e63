import { activeSilence, INITIAL_TRACK, type IncidentTrack, observe, readTrack } from "../core/incidents.ts";
import type { AlertTrackRow, IncidentEventInput, SilenceRow } from "../store/ports/alerts.ts";
import type { AlertRule } from "./define-alert.ts";
import { type AlertReads, type Observation, observeRule } from "./observe.ts";

export interface EvaluationResult {
  /** Tracks whose state changed (only these are written). */
  tracks: AlertTrackRow[];
  events: IncidentEventInput[];
  /** Rules whose reads failed this time, with the reason (they are skipped, tracks kept). */
  errors: { rule: string; error: Error }[];
}

/**
 * One evaluation of every rule: observe each subject, step its incident track (core/incidents),
 * and collect the incident events with the channels to tell. A subject a rule no longer sees
 * (its check or flow was removed, its queue drained) counts as good, so its incident resolves.
 */
export async function evaluateRules(
  rules: readonly AlertRule[],
  reads: AlertReads,
  stored: readonly AlertTrackRow[],
  silences: readonly SilenceRow[],
  now: number,
): Promise<EvaluationResult> {
  const previous = new Map(stored.map((t) => [`${t.rule}\u0000${t.subject}`, t]));
  const result: EvaluationResult = { tracks: [], events: [], errors: [] };
  for (const rule of rules) {
    let observations: Observation[];
    try {
      observations = await observeRule(rule, reads);
    } catch (error) {
      result.errors.push({ rule: rule.name, error: error as Error });
      continue;
    }
    const seen = new Set(observations.map((o) => o.subject));
    for (const t of stored) {
      if (t.rule !== rule.name || seen.has(t.subject)) continue;
      const track = readTrack(safeJson(t.track));
      if (track.open || track.hysteresis.state !== "UNKNOWN") {
        observations.push({
          subject: t.subject,
          bad: false,
          summary: `${t.subject} is no longer watched by ${rule.name}`,
        });
      }
    }
    for (const o of observations) {
      const key = `${rule.name}\u0000${o.subject}`;
      const row = previous.get(key);
      const before: IncidentTrack = row ? readTrack(safeJson(row.track)) : INITIAL_TRACK;
      const step = observe(before, o.bad, now, rule.policy);
      const text = JSON.stringify(step.track);
      if (text !== row?.track)
        result.tracks.push({ rule: rule.name, subject: o.subject, track: text, updatedAt: now });
      if (!step.event) continue;
      result.events.push({
        rule: rule.name,
        subject: o.subject,
        kind: step.event.kind,
        seq: step.event.seq,
        openedAt: step.event.openedAt,
        at: now,
        summary: o.summary,
        channels: rule.channels,
        silenced: activeSilence(silences, rule.name, o.subject, now) !== null,
      });
    }
  }
  return result;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
