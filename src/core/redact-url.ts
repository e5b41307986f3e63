/** What stands in for a redacted query string or credential in a log line. */
export const REDACTED = "[redacted]";

/**
 * A URL safe to log: the query string and fragment become `?[redacted]`, user and password of an
 * absolute URL are dropped; the path stays. Secrets travel in query strings
 * (`POST /heartbeat?token=…`), and a refusal path must never be the one that logs them. The logger
 * applies this to every field named `url`, so no call site has to remember.
 */
export function redactUrl(value: unknown): unknown {
  if (value instanceof URL) return redactAbsolute(new URL(value.href));
  if (typeof value !== "string") return value;
  return redactQuery(redactSecretPath(value));
}

/**
 * Paths whose segments are secrets: a check's ping token (`/ping/<token>/…`) and a badge's key
 * (`/badge/<kind>/<name>/<key>.svg`). Route patterns (`/ping/:token`) pass unchanged.
 */
const SECRET_PATHS: [RegExp, string][] = [
  [/\/ping\/(?!:token\b)[^/?#]+/, `/ping/${REDACTED}`],
  [/(\/badge\/[^/?#]+\/[^/?#]+\/)(?!:)[^/?#]+/, `$1${REDACTED}`],
];

function redactSecretPath(value: string): string {
  let text = value;
  for (const [pattern, replacement] of SECRET_PATHS) text = text.replace(pattern, replacement);
  return text;
}

function redactQuery(value: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    try {
      return redactAbsolute(new URL(value));
    } catch {
      // Not parseable: fall through to the plain-text rule.
    }
  }
  const cut = value.search(/[?#]/);
  if (cut === -1) return value;
  return `${value.slice(0, cut)}?${REDACTED}`;
}

function redactAbsolute(url: URL): string {
  const hadQuery = url.search !== "" || url.hash !== "";
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return hadQuery ? `${url.href}?${REDACTED}` : url.href;
}
