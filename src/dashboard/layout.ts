import { type Html, type HtmlValue, html } from "./html.ts";
import type { Session } from "./session.ts";

export const BASE = "/dashboard";
/** Bumped with the static files so browsers never use a stale cached copy. */
export const ASSET_VERSION = "1";

export type Section = "overview" | "flows" | "schedules" | "jobs" | "monitors" | "alerts" | "limits";

const NAV: [Section, string, string][] = [
  ["overview", "Overview", `${BASE}`],
  ["flows", "Flows", `${BASE}/flows`],
  ["schedules", "Schedules", `${BASE}/schedules`],
  ["jobs", "Jobs", `${BASE}/jobs`],
  ["monitors", "Monitors", `${BASE}/monitors`],
  ["alerts", "Alerts", `${BASE}/alerts`],
  ["limits", "Limits", `${BASE}/limits`],
];

export interface PageInput {
  title: string;
  section: Section;
  session: Session;
  body: HtmlValue;
  /** The server's clock when the page was rendered (shown; live updates refresh it). */
  now: number;
  /** A live-update fetch: leave the flash message for the page the user opens next. */
  keepFlash?: boolean;
}

/** A hidden CSRF field: every form that changes something carries it. */
export const csrfField = (session: Session): Html =>
  html`<input type="hidden" name="_csrf" value="${session.csrf}">`;

/** A one-button POST form (an action): CSRF field included. */
export function actionButton(
  session: Session,
  action: string,
  label: string,
  options: { tone?: "primary" | "danger" | "plain"; confirm?: string } = {},
): Html {
  return html`<form method="post" action="${action}" class="inline">${csrfField(session)}<button type="submit" class="btn btn-${options.tone ?? "plain"}"${
    options.confirm ? html` data-confirm="${options.confirm}"` : ""
  }>${label}</button></form>`;
}

export function page(input: PageInput): Html {
  const { session } = input;
  const flash = input.keepFlash ? null : session.flash;
  if (!input.keepFlash) session.flash = null;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${input.title} · tickflow</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${BASE}/static/dashboard.css?v=${ASSET_VERSION}">
<script src="${BASE}/static/dashboard.js?v=${ASSET_VERSION}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="${BASE}" aria-label="tickflow dashboard home">tickflow</a>
  <nav aria-label="Sections">
    <ul>${NAV.map(
      ([id, label, href]) =>
        html`<li><a href="${href}"${id === input.section ? html` aria-current="page"` : ""}>${label}</a></li>`,
    )}</ul>
  </nav>
  <div class="top-tools">
    <button type="button" class="btn btn-plain" data-live-toggle aria-pressed="true" hidden>Live updates: on</button>
    <span class="muted small" id="live-stamp" aria-live="off">as of ${new Date(input.now).toISOString().slice(11, 19)} UTC</span>
    <form method="post" action="${BASE}/logout" class="inline">${csrfField(session)}<button type="submit" class="btn btn-plain">Log out</button></form>
  </div>
</header>
<main id="main" tabindex="-1">
${flash ? html`<p class="flash flash-${flash.kind}" role="${flash.kind === "error" ? "alert" : "status"}">${flash.text}</p>` : ""}
<h1>${input.title}</h1>
${input.body}
</main>
</body>
</html>`;
}

/** A section whose content is refreshed in place by live updates (needs a stable id). */
export function live(id: string, content: HtmlValue, label?: string): Html {
  return html`<div id="${id}" data-live${label ? html` aria-label="${label}" role="region"` : ""}>${content}</div>`;
}

/** A simple table with a caption (for screen readers) inside a horizontally scrollable wrapper. */
export function table(
  caption: string,
  headers: string[],
  rows: HtmlValue[],
  empty = "Nothing here yet.",
): Html {
  if (rows.length === 0) return html`<p class="muted">${empty}</p>`;
  return html`<div class="table-wrap"><table><caption class="sr-only">${caption}</caption><thead><tr>${headers.map(
    (h) => html`<th scope="col">${h}</th>`,
  )}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
