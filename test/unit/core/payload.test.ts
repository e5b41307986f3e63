import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serializePayload } from "../../../src/core/payload.ts";
import { InvalidPayloadError } from "../../../src/errors.ts";

const INSTANT = new Date(Date.UTC(2030, 0, 1, 12, 0, 0));

describe("serializePayload accepts JSON values", () => {
  const cases: [label: string, payload: unknown, expected: string][] = [
    ["null", null, "null"],
    ["undefined at the top (no payload)", undefined, "null"],
    ["a string", "hello", '"hello"'],
    ["an empty string", "", '""'],
    ["true", true, "true"],
    ["false", false, "false"],
    ["zero", 0, "0"],
    ["a negative float", -1.25, "-1.25"],
    ["an empty object", {}, "{}"],
    ["an empty array", [], "[]"],
    ["a nested object", { a: { b: [1, "two", null, false] } }, '{"a":{"b":[1,"two",null,false]}}'],
    ["an array of objects", [{ id: 1 }, { id: 2 }], '[{"id":1},{"id":2}]'],
    ["a Date at the top", INSTANT, '"2030-01-01T12:00:00.000Z"'],
    [
      "a Date inside",
      { at: INSTANT, list: [INSTANT] },
      '{"at":"2030-01-01T12:00:00.000Z","list":["2030-01-01T12:00:00.000Z"]}',
    ],
    ["a null-prototype object", Object.assign(Object.create(null), { a: 1 }), '{"a":1}'],
    ["keys that need quoting", { "a b": 1, "": 2 }, '{"a b":1,"":2}'],
  ];
  for (const [label, payload, expected] of cases) {
    it(label, () => {
      assert.equal(serializePayload(payload, "job"), expected);
    });
  }

  it("accepts the same object reached twice without a cycle", () => {
    const shared = { n: 1 };
    assert.equal(
      serializePayload({ a: shared, b: [shared, shared] }, "job"),
      '{"a":{"n":1},"b":[{"n":1},{"n":1}]}',
    );
  });
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

function cyclicObject(): unknown {
  const a: Record<string, unknown> = { name: "a" };
  a.self = a;
  return a;
}

function deepCycle(): unknown {
  const inner: Record<string, unknown> = {};
  const root = { a: [0, 1, { b: inner }] };
  inner.back = root;
  return root;
}

function cyclicArray(): unknown {
  const list: unknown[] = [1];
  list.push(list);
  return list;
}

describe("serializePayload rejects non-JSON values, naming the path", () => {
  const cases: [label: string, payload: unknown, message: string][] = [
    ["a function at the top", () => 1, "payload is a function (not JSON)"],
    ["a function deep inside", { a: [0, 1, { b: () => 1 }] }, "payload.a[2].b is a function (not JSON)"],
    ["a symbol", { a: Symbol("s") }, "payload.a is a symbol (not JSON)"],
    ["a bigint", { n: 10n }, "payload.n is a bigint (not JSON)"],
    ["a bigint at the top", 10n, "payload is a bigint (not JSON)"],
    ["NaN", { a: [Number.NaN] }, "payload.a[0] is NaN (not JSON)"],
    ["Infinity", { x: Number.POSITIVE_INFINITY }, "payload.x is Infinity (not JSON)"],
    ["-Infinity at the top", Number.NEGATIVE_INFINITY, "payload is -Infinity (not JSON)"],
    ["undefined in an object", { a: 1, b: undefined }, "payload.b is undefined (not JSON)"],
    ["undefined in an array", [1, undefined, 3], "payload[1] is undefined (not JSON)"],
    // biome-ignore lint/suspicious/noSparseArray: a hole is what is being tested
    ["a hole in an array", [1, , 3], "payload[1] is undefined (not JSON)"],
    ["a Map", { m: new Map([["k", 1]]) }, "payload.m is a Map object (not JSON)"],
    ["a Set", [new Set([1])], "payload[0] is a Set object (not JSON)"],
    ["a class instance", { p: new Point(1, 2) }, "payload.p is a Point object (not JSON)"],
    ["a class instance at the top", new Point(1, 2), "payload is a Point object (not JSON)"],
    ["a RegExp", { r: /x/ }, "payload.r is a RegExp object (not JSON)"],
    ["a Uint8Array", { bytes: new Uint8Array(2) }, "payload.bytes is a Uint8Array object (not JSON)"],
    ["a self-cycle", cyclicObject(), "payload.self is a circular reference (not JSON)"],
    ["a deep cycle", deepCycle(), "payload.a[2].b.back is a circular reference (not JSON)"],
    ["a cyclic array", cyclicArray(), "payload[1] is a circular reference (not JSON)"],
    [
      "the first bad value wins",
      { ok: 1, bad1: () => 1, bad2: Symbol("x") },
      "payload.bad1 is a function (not JSON)",
    ],
  ];
  for (const [label, payload, message] of cases) {
    it(label, () => {
      assert.throws(
        () => serializePayload(payload, "send-email"),
        (error: unknown) => {
          assert.ok(error instanceof InvalidPayloadError);
          assert.equal(error.code, "INVALID_PAYLOAD");
          assert.equal(error.message, `job "send-email": ${message}`);
          return true;
        },
      );
    });
  }
});
