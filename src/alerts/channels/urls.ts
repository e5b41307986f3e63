import { InvalidOptionError } from "../../errors.ts";

/** Parses an http(s) URL option; one clear line otherwise. */
export function parseHttpUrl(value: unknown, what: string): URL {
  let url: URL | null = null;
  if (typeof value === "string") {
    try {
      url = new URL(value);
    } catch {
      url = null;
    }
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new InvalidOptionError(`${what}: expected an http:// or https:// URL`);
  }
  return url;
}

/**
 * A URL safe to show: scheme, host and port only. Incoming-webhook URLs (Slack's among them)
 * carry their secret in the path, so the path goes too.
 */
export function safeTarget(url: URL): string {
  return `${url.protocol}//${url.host}/…`;
}
