import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { AlertNotification } from "../../src/alerts/channels/channel.ts";
import { defineChannel } from "../../src/alerts/channels/define-channel.ts";
import { startReceiver, startSmtpReceiver, verifyStandardWebhook } from "../helpers/receivers.ts";

const SECRET = `whsec_${Buffer.from("0123456789abcdef0123456789abcdef").toString("base64")}`;
const env = { HOOK_SECRET: SECRET, PD_KEY: "R0UTINGKEY0123456789", SMTP_URL: "" };

function notification(event: AlertNotification["event"] = "open"): AlertNotification {
  const at = Date.now();
  return {
    id: `alert:42:${event === "open" ? 1 : 2}:ops`,
    event,
    seq: event === "open" ? 1 : 2,
    incident: {
      id: "42",
      rule: "nightly-failing",
      subject: "schedule:nightly-report",
      status: event === "resolve" ? "resolved" : "open",
      openedAt: at - 60_000,
      resolvedAt: event === "resolve" ? at : null,
      summary: "schedule nightly-report is failing: 3 consecutive failures <b>",
    },
    at,
  };
}

const signal = () => AbortSignal.timeout(5_000);

describe("alert channels against real receivers", () => {
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it("webhook: a JSON POST signed per Standard Webhooks that a receiver verifies", async () => {
    const receiver = await startReceiver();
    closers.push(receiver.stop);
    const channel = defineChannel(
      "ops",
      { kind: "webhook", url: receiver.url, secret: { env: "HOOK_SECRET" } },
      env,
    );
    assert.equal(channel.target.includes("secret-path"), false, "the target shown hides the URL path");
    const n = notification();
    const receipt = await channel.send(n, signal());
    assert.equal(receipt.detail, "HTTP 200");
    const [got] = receiver.received;
    assert.ok(got);
    assert.equal(verifyStandardWebhook(SECRET, got), true, "the signature verifies");
    assert.equal(got.headers["webhook-id"], n.id);
    assert.equal(got.json.type, "incident.opened");
    const data = got.json.data as { incident: { rule: string; openedAt: string }; seq: number };
    assert.equal(data.incident.rule, "nightly-failing");
    assert.equal(data.seq, 1);
    assert.equal(data.incident.openedAt, new Date(n.incident.openedAt).toISOString());
    // A tampered body does not verify.
    assert.equal(verifyStandardWebhook(SECRET, { ...got, body: got.body.replace("42", "43") }), false);
  });

  it("webhook: a receiver's non-2xx answer fails the attempt with its status", async () => {
    const receiver = await startReceiver(() => 503);
    closers.push(receiver.stop);
    const channel = defineChannel("ops", { kind: "webhook", url: receiver.url }, env);
    await assert.rejects(channel.send(notification(), signal()), /answered HTTP 503/);
    await receiver.stop();
    await assert.rejects(channel.send(notification(), signal()), /fetch failed|ECONNREFUSED/);
  });

  it("slack: text and blocks", async () => {
    const receiver = await startReceiver((r) =>
      typeof r.json.text === "string" && Array.isArray(r.json.blocks) ? 200 : 400,
    );
    closers.push(receiver.stop);
    const channel = defineChannel("chat", { kind: "slack", url: receiver.url }, env);
    await channel.send(notification("resolve"), signal());
    const [got] = receiver.received;
    assert.match(String(got?.json.text), /^\[RESOLVED\] nightly-failing on schedule:nightly-report/);
    const blocks = got?.json.blocks as { type: string }[];
    assert.deepEqual(
      blocks.map((b) => b.type),
      ["header", "section", "section", "context"],
    );
  });

  it("pagerduty: trigger then resolve with one dedup key", async () => {
    const receiver = await startReceiver((r) => (r.json.routing_key === env.PD_KEY ? 202 : 400));
    closers.push(receiver.stop);
    const channel = defineChannel(
      "pager",
      { kind: "pagerduty", routingKey: { env: "PD_KEY" }, url: receiver.url },
      env,
    );
    await channel.send(notification("open"), signal());
    await channel.send(notification("resolve"), signal());
    const [trigger, resolve] = receiver.received;
    assert.equal(trigger?.json.event_action, "trigger");
    assert.equal(resolve?.json.event_action, "resolve");
    assert.equal(trigger?.json.dedup_key, "tickflow-42");
    assert.equal(resolve?.json.dedup_key, "tickflow-42");
    const payload = trigger?.json.payload as { severity: string; source: string };
    assert.equal(payload.severity, "critical");
    assert.equal(payload.source, "schedule:nightly-report");
  });

  it("email: plain text and HTML over a real SMTP server, with login", async () => {
    const smtp = await startSmtpReceiver();
    closers.push(smtp.close);
    const channel = defineChannel(
      "mail",
      {
        kind: "email",
        smtp: `smtp://alerts:${encodeURIComponent("s3cret pass")}@127.0.0.1:${smtp.port}`,
        from: "tickflow@example.test",
        to: ["oncall@example.test", "lead@example.test"],
      },
      env,
    );
    assert.equal(channel.target.includes("s3cret"), false, "the password is not shown");
    await channel.send(notification(), signal());
    const [mail] = smtp.messages;
    assert.ok(mail);
    assert.equal(mail.user, "alerts");
    assert.deepEqual(mail.to, ["oncall@example.test", "lead@example.test"]);
    assert.match(mail.raw, /Subject: \[FIRING\] nightly-failing on schedule:nightly-report/);
    assert.match(mail.raw, /Content-Type: text\/plain/);
    assert.match(mail.raw, /Content-Type: text\/html/);
    assert.match(mail.raw, /&lt;b&gt;/, "the HTML body escapes the summary");
  });

  it("bad options: one clear line each", () => {
    assert.throws(
      () => defineChannel("x", { kind: "sms" }, env),
      /channel "x": kind must be one of webhook, slack, email, pagerduty/,
    );
    assert.throws(() => defineChannel("x", { kind: "webhok" }, env), /did you mean "webhook"/);
    assert.throws(
      () => defineChannel("x", { kind: "webhook", url: "ftp://a" }, env),
      /channel "x": url: expected an http/,
    );
    assert.throws(
      () => defineChannel("x", { kind: "webhook", url: "http://a", secret: "nope" }, env),
      /channel "x": a signing secret is "whsec_"/,
    );
    assert.throws(
      () => defineChannel("x", { kind: "email", smtp: "smtp//nohost", from: "a@b.c", to: "d@e.f" }, env),
      /channel "x": smtp: not a URL/,
    );
    assert.throws(
      () => defineChannel("x", { kind: "email", smtp: "http://host", from: "a@b.c", to: "d@e.f" }, env),
      /the scheme must be smtp:\/\/ or smtps:\/\//,
    );
    assert.throws(
      () => defineChannel("x", { kind: "email", smtp: { env: "SMTP_URL" }, from: "a@b.c", to: "d@e.f" }, env),
      /environment variable SMTP_URL is not set/,
    );
    assert.throws(
      () => defineChannel("x", { kind: "slack", url: "http://a", token: 1 }, env),
      /unknown option "token"/,
    );
  });
});
