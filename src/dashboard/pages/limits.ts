import type { LimitUsageRow, TypePauseRow } from "../../store/ports/rows.ts";
import { badge, when } from "../format.ts";
import { type Html, html } from "../html.ts";
import { actionButton, BASE, live, table } from "../layout.ts";
import type { Session } from "../session.ts";

const typePath = (type: string, action: "enable" | "disable") =>
  `${BASE}/types/${encodeURIComponent(type)}/${action}`;

const caps = (l: LimitUsageRow) =>
  [
    l.concurrency !== null ? `${l.concurrency} at once` : null,
    l.perKey !== null ? `${l.perKey} per key` : null,
    l.rate ? `${l.rate.limit} per ${l.rate.periodMs} ms${l.rate.perKey ? " per key" : ""}` : null,
  ]
    .filter((c) => c !== null)
    .join(", ");

const waitingWhy = (l: LimitUsageRow) => {
  const parts = Object.entries(l.waitingBy).filter(([, n]) => n > 0);
  return parts.length ? parts.map(([reason, n]) => `${n} ${reason}`).join(", ") : "—";
};

export interface LimitsPage {
  limits: LimitUsageRow[];
  types: string[];
  disabled: TypePauseRow[];
  session: Session;
  now: number;
}

/** Limits with usage (running, per key, tokens, waiting and why) and the per-type switches. */
export function limitsBody(p: LimitsPage): Html {
  const disabled = new Map(p.disabled.map((t) => [t.type, t]));
  const types = [...new Set([...p.types, ...disabled.keys()])].sort();
  return html`${live(
    "limits-list",
    html`${table(
      "Limits",
      [
        "Limit",
        "Caps",
        "Running",
        "Tokens left",
        "Waiting",
        "Why they wait",
        "Busiest keys (running / waiting)",
      ],
      p.limits.map(
        (l) =>
          html`<tr><th scope="row">${l.name}</th><td>${caps(l)}</td><td class="num">${l.running}</td><td class="num">${
            l.tokens === null ? "—" : Math.floor(l.tokens)
          }</td><td class="num">${l.waiting}</td><td>${waitingWhy(l)}</td><td class="clip">${
            l.keys.length
              ? l.keys
                  .slice(0, 5)
                  .map((k) => `${k.key} ${k.running}/${k.waiting}`)
                  .join(", ")
              : "—"
          }</td></tr>`,
      ),
      "No limits are declared (createTickflow({ limits }) or the config's limits).",
    )}`,
  )}
${table(
  "Job types",
  ["Job type", "State", ""],
  types.map((type) => {
    const off = disabled.get(type);
    return html`<tr><th scope="row">${type}</th><td>${
      off ? html`${badge("disabled")} ${when(off.pausedAt, p.now)}` : badge("enabled")
    }</td><td>${
      off
        ? actionButton(p.session, typePath(type, "enable"), "Enable", { tone: "primary" })
        : actionButton(p.session, typePath(type, "disable"), "Disable", {
            tone: "danger",
            confirm: `Disable ${type} for every process? Its jobs wait until it is enabled.`,
          })
    }</td></tr>`;
  }),
  "No job types are registered.",
)}`;
}
