/**
 * HTML built with template literals, safely: `html` escapes every interpolated value unless it is
 * already `Html` (the result of another `html` call or of `raw`), so untrusted text (job payloads,
 * error messages and stacks, flow and queue names) can never become markup.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Escapes text for element content and for quoted attribute values. */
export function escapeHtml(text: string): string {
  // Most text has nothing to escape: a test is far cheaper than a replace with a callback.
  return NEEDS_ESCAPE.test(text) ? text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!) : text;
}

const NEEDS_ESCAPE = /[&<>"'`]/;

/** What may be interpolated: text (escaped), numbers, Html (kept), arrays of those; null/undefined/false render nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join("");
  if (typeof value === "number") return String(value); // digits, '.', '-', "e", "Infinity", "NaN": nothing to escape
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup that is trusted as is (built here, never from input). */
export const raw = (markup: string): Html => new Html(markup);
