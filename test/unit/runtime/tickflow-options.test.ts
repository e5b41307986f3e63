import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvalidOptionError } from "../../../src/errors.ts";
import { createTickflow } from "../../../src/tickflow.ts";

describe("createTickflow refuses bad options before opening anything", () => {
  const cases: [label: string, options: Record<string, unknown>, message: string][] = [
    [
      "a typo: databseUrl",
      { databseUrl: "sqlite:x.db" },
      'createTickflow: unknown option "databseUrl" in createTickflow options (did you mean "databaseUrl"?)',
    ],
    [
      "a typo: concurency",
      { concurency: 4 },
      'createTickflow: unknown option "concurency" in createTickflow options (did you mean "concurrency"?)',
    ],
    [
      "pollIntervalMs of 30 days (setTimeout would fire at once and spin)",
      { pollIntervalMs: 30 * 86_400_000 },
      "createTickflow: pollIntervalMs must be whole milliseconds from 10 to 2147483647, got 2592000000",
    ],
    [
      "leaseMs as text",
      { leaseMs: "30s" },
      'createTickflow: leaseMs must be whole milliseconds from 1000 to 2147483647, got "30s"',
    ],
    ["jobs that are not an array", { jobs: {} }, "createTickflow: jobs must be an array, got an object"],
    [
      "concurrency 0",
      { concurrency: 0 },
      "createTickflow: concurrency must be an integer of at least 1, got 0",
    ],
  ];
  for (const [label, options, message] of cases) {
    it(label, async () => {
      const dir = mkdtempSync(join(tmpdir(), "tickflow-options-"));
      try {
        const file = join(dir, "never.db");
        await assert.rejects(
          createTickflow({ databaseUrl: `sqlite:${file}`, ...options }),
          (error: unknown) => error instanceof InvalidOptionError && error.message === message,
        );
        assert.equal(existsSync(file), false, "nothing is written when the options are refused");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
