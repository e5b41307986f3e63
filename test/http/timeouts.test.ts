import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { HTTP_TIMEOUTS } from "../../src/http/server.ts";
import { startHttp } from "../helpers/http.ts";

/** Opens a raw connection that sends `first`, then one more header line every `everyMs`; resolves when the server closes it. */
function trickle(port: number, first: string, line: string, everyMs: number) {
  return new Promise<{ closedAfterMs: number; received: string }>((resolve, reject) => {
    const started = performance.now();
    let received = "";
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(first));
    const timer = setInterval(() => socket.writable && socket.write(line), everyMs);
    socket.on("data", (chunk) => {
      received += String(chunk);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ closedAfterMs: performance.now() - started, received });
    });
    setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error("the server kept the trickling connection open for 30 s"));
    }, 30_000).unref();
  });
}

describe("HTTP timeouts of our own", () => {
  it("the production limits: headers 10 s, request 30 s, idle 60 s, checked every second", async () => {
    const s = await startHttp();
    try {
      assert.equal(s.app.server.headersTimeout, HTTP_TIMEOUTS.headersMs);
      assert.equal(s.app.server.requestTimeout, HTTP_TIMEOUTS.requestMs);
      assert.equal(s.app.server.timeout, HTTP_TIMEOUTS.idleMs);
      assert.deepEqual(HTTP_TIMEOUTS, {
        headersMs: 10_000,
        requestMs: 30_000,
        idleMs: 60_000,
        checkEveryMs: 1_000,
      });
    } finally {
      await s.close();
    }
  });

  it("a client trickling its headers is cut off at the headers timeout (408), not held ~95 s", async () => {
    const s = await startHttp({}, { timeouts: { headersMs: 1_000, requestMs: 2_000, checkEveryMs: 250 } });
    try {
      const { closedAfterMs, received } = await trickle(
        s.port,
        "GET /health HTTP/1.1\r\nHost: x\r\n",
        "X-Slow: a\r\n",
        200,
      );
      assert.ok(closedAfterMs < 10_000, `closed after ${Math.round(closedAfterMs)} ms`);
      assert.ok(closedAfterMs >= 900, `not before the limit (${Math.round(closedAfterMs)} ms)`);
      assert.match(received, /^HTTP\/1\.1 408/);
    } finally {
      await s.close();
    }
  });

  it("a client trickling its body is cut off at the request timeout", async () => {
    const s = await startHttp({}, { timeouts: { headersMs: 1_000, requestMs: 2_000, checkEveryMs: 250 } });
    try {
      const { closedAfterMs } = await trickle(
        s.port,
        "POST /heartbeat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        " ",
        200,
      );
      assert.ok(closedAfterMs < 12_000, `closed after ${Math.round(closedAfterMs)} ms`);
      assert.ok(closedAfterMs >= 1_900, `not before the limit (${Math.round(closedAfterMs)} ms)`);
    } finally {
      await s.close();
    }
  });
});
