import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactUrl } from "../../../src/core/redact-url.ts";

describe("redactUrl", () => {
  const cases: [input: unknown, expected: unknown][] = [
    ["/heartbeat?token=s3cret", "/heartbeat?[redacted]"],
    ["/api/v1/jobs", "/api/v1/jobs"],
    ["/dashboard/login?next=%2F&token=x#frag", "/dashboard/login?[redacted]"],
    ["/path#only-a-fragment", "/path?[redacted]"],
    ["https://user:pw@example.com/health?apikey=k", "https://example.com/health?[redacted]"],
    ["https://example.com/health", "https://example.com/health"],
    [new URL("http://example.com/x?y=1"), "http://example.com/x?[redacted]"],
    ["/ping/abcDEF123-_x/start", "/ping/[redacted]/start"],
    ["/ping/abcDEF123?x=1", "/ping/[redacted]?[redacted]"],
    ["/ping/:token/:what", "/ping/:token/:what"],
    ["http://host:7070/ping/tok3n", "http://host:7070/ping/[redacted]"],
    ["/badge/check/backup/Zk3yQ.svg", "/badge/check/backup/[redacted]"],
    ["/badge/:kind/:name/:file", "/badge/:kind/:name/:file"],
    [undefined, undefined],
    [42, 42],
  ];
  for (const [input, expected] of cases) {
    it(`${String(input)} → ${String(expected)}`, () => assert.equal(redactUrl(input), expected));
  }
});
