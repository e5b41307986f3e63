/**
 * The built-in HTTP check: one request with the check's AbortSignal (fetch honours it, so the
 * timeout really cancels the request and frees its socket); healthy iff the status is expected
 * (any 2xx by default). The body is never read: a check must not hang on a slow download.
 */
export interface HttpCheckOptions {
  url: URL;
  method: "GET" | "HEAD";
  headers: Readonly<Record<string, string>>;
  /** Accepted statuses; null means any 2xx. */
  expectStatus: readonly number[] | null;
}

export type CheckFunction = (signal: AbortSignal) => Promise<void>;

export function httpCheck(options: HttpCheckOptions): CheckFunction {
  const target = describeHttpTarget(options.url, options.method);
  const expected = options.expectStatus;
  const accepts = (status: number) =>
    expected === null ? status >= 200 && status < 300 : expected.includes(status);
  const wanted = expected === null ? "2xx" : expected.join(" or ");
  return async (signal) => {
    let response: Response;
    try {
      response = await fetch(options.url, {
        method: options.method,
        headers: options.headers,
        signal,
        redirect: "follow",
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new Error(`${target}: ${describeFetchError(error)}`, { cause: error });
    }
    // Release the connection without downloading the body.
    await response.body?.cancel().catch(() => undefined);
    if (!accepts(response.status)) {
      throw new Error(`${target}: HTTP ${response.status} (expected ${wanted})`);
    }
  };
}

/** `GET https://host/path` with any credentials removed: what logs and the store show. */
export function describeHttpTarget(url: URL, method: string): string {
  const shown = new URL(url.href);
  shown.username = "";
  shown.password = "";
  return `${method} ${shown.href}`;
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, a TLS error, …) is in its cause. */
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  const code = (cause as { code?: string } | undefined)?.code;
  return code ? `${error.message} (${code})` : error.message;
}
