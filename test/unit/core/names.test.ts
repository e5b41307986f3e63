import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isValidName, validateName, validateQueueName } from "../../../src/core/names.ts";
import { InvalidOptionError } from "../../../src/errors.ts";

const valid = [
  "default",
  "a",
  "A",
  "0",
  "emails",
  "high-priority",
  "reports_daily",
  "billing.v2",
  "Mixed-Case_1.2",
  "x".repeat(64),
];

const invalid: [name: unknown, label: string][] = [
  ["", "empty"],
  ["x".repeat(65), "65 characters"],
  ["has space", "a space"],
  [" default", "a leading space"],
  ["default ", "a trailing space"],
  ["a/b", "a slash"],
  ["a\\b", "a backslash"],
  ["a:b", "a colon"],
  ["a*", "a star"],
  ["émails", "a non-ASCII letter"],
  ["队列", "CJK characters"],
  ["q🚀", "an emoji"],
  ["tab\there", "a tab"],
  ["line\n", "a trailing newline"],
  [42, "a number"],
  [null, "null"],
  [undefined, "undefined"],
  [["default"], "an array"],
];

describe("isValidName", () => {
  for (const name of valid) {
    it(`accepts ${JSON.stringify(name)}`, () => {
      assert.equal(isValidName(name), true);
    });
  }
  for (const [name, label] of invalid) {
    it(`rejects ${label}`, () => {
      assert.equal(isValidName(name), false);
    });
  }
});

describe("validateQueueName", () => {
  for (const name of valid) {
    it(`returns ${JSON.stringify(name)} unchanged`, () => {
      assert.equal(validateQueueName(name), name);
    });
  }
  for (const [name, label] of invalid) {
    it(`rejects ${label}, naming the value`, () => {
      assert.throws(
        () => validateQueueName(name),
        (error: unknown) => {
          assert.ok(error instanceof InvalidOptionError);
          assert.equal(error.code, "INVALID_OPTION");
          assert.equal(
            error.message,
            `invalid queue name ${JSON.stringify(name)}: use 1-64 letters, digits, "_", "-" or "."`,
          );
          return true;
        },
      );
    });
  }
});

describe("validateName", () => {
  it("names what is being validated", () => {
    assert.throws(() => validateName("bad key", "schedule key"), {
      name: "InvalidOptionError",
      message: 'invalid schedule key name "bad key": use 1-64 letters, digits, "_", "-" or "."',
    });
  });
  it("shows the full offending value, so a 65-char name is recognisable", () => {
    const long = "q".repeat(65);
    assert.throws(
      () => validateName(long, "job type"),
      (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.ok(error.message.includes(`"${long}"`));
        assert.ok(error.message.startsWith("invalid job type name"));
        return true;
      },
    );
  });
});
