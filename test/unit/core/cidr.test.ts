import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchesAny, parseCidrList } from "../../../src/core/cidr.ts";
import { InvalidOptionError } from "../../../src/errors.ts";

describe("parseCidrList refuses non-canonical IPv4 (the CVE-2021-28918 class)", () => {
  // Each of these was accepted and reinterpreted: 010.0.0.0/8 became 8.0.0.0/8, 10.1/16 became
  // 10.0.0.1/16, 192.168.001.010 became 192.168.1.8.
  for (const entry of [
    "010.0.0.0/8",
    "10.1/16",
    "192.168.001.010",
    "0x0a.0.0.0/8",
    "127.1",
    "2130706433",
    "00.0.0.0/0",
    "10.0.0.0/08",
    "::ffff:010.1.1.1",
    "10.0.0.0/",
    "not-an-ip",
  ]) {
    it(`"${entry}" stops with an error naming the entry`, () => {
      assert.throws(
        () => parseCidrList(["127.0.0.1", entry], "TICKFLOW_ALLOWED_IPS"),
        (error: unknown) =>
          error instanceof InvalidOptionError &&
          error.message.startsWith(`TICKFLOW_ALLOWED_IPS: "${entry}" `) &&
          error.message.includes("canonical"),
      );
    });
  }

  it("a blank list is refused, not read as allow-everyone", () => {
    assert.throws(
      () => parseCidrList([" ", ""], "allowedIps"),
      /allowedIps: the list has only blank entries/,
    );
    assert.throws(() => parseCidrList(["10.0.0.0/8", " "], "allowedIps"), /allowedIps: "" is blank/);
  });
});

describe("parseCidrList accepts canonical text", () => {
  for (const entry of [
    "10.0.0.0/8",
    "0.0.0.0/0",
    "192.168.1.8",
    "::1",
    "2001:db8::/32",
    "::ffff:10.0.0.0/104",
  ]) {
    it(`"${entry}"`, () => {
      assert.equal(parseCidrList([` ${entry} `], "allowedIps").length, 1);
    });
  }

  it("10.0.0.0/8 matches 10.1.2.3 and not 8.1.2.3", () => {
    const rules = parseCidrList(["10.0.0.0/8"], "allowedIps");
    assert.equal(matchesAny("10.1.2.3", rules), true);
    assert.equal(matchesAny("8.1.2.3", rules), false);
    assert.equal(matchesAny("::ffff:10.1.2.3", rules), true);
  });
});
