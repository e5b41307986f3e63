import { ConfigError } from "../errors.ts";
import { COOKIE_PATH } from "./session.ts";

/**
 * Where the dashboard is mounted. Its pages, redirects and cookie are written against its own
 * path, /dashboard; mounted anywhere else (an application's prefix through tickflow/fastify or
 * tickflow/http), its edge translates: each request's path in, each response's links, redirect
 * and cookie path out — so no page needs to know where it is served.
 *
 * Links are translated in the markup: an attribute value opening with `/dashboard` becomes one
 * opening with the mount path. That is exact, not a guess: every page is built with `html`,
 * which escapes `"` in whatever it interpolates, so `="` in a page always opens an attribute
 * written in a template — never text from a job, a flow or an error message.
 */
export interface MountPath {
  /** The public path, e.g. /admin/jobs/dashboard. */
  readonly base: string;
  /** Whether anything needs translating (mounted somewhere other than /dashboard). */
  readonly translates: boolean;
  /** A request's URL as the dashboard's routes know it (/dashboard/…). */
  inbound(url: string): string;
  /** A dashboard path (/dashboard/…) as the browser must ask for it. */
  outbound(path: string): string;
  /** Every link, form action and asset of a page, translated. */
  outboundHtml(page: string): string;
}

const LINK = /(=")\/dashboard(?=[/?#"])/g;

export function mountPath(base: string): MountPath {
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(base)) {
    throw new ConfigError([
      `dashboard: it is mounted at "${base || "/"}": give it a path of its own, e.g. /dashboard or /admin/jobs`,
    ]);
  }
  const translates = base !== COOKIE_PATH;
  const swap = (from: string, to: string, url: string) =>
    url === from || url.startsWith(`${from}/`) || url.startsWith(`${from}?`)
      ? to + url.slice(from.length)
      : url;
  return {
    base,
    translates,
    inbound: (url) => (translates ? swap(base, COOKIE_PATH, url) : url),
    outbound: (path) => (translates ? swap(COOKIE_PATH, base, path) : path),
    outboundHtml: (page) => (translates ? page.replace(LINK, (_m, open: string) => open + base) : page),
  };
}
