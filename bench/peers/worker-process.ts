// One worker process of a cross-process scenario: opens the library, says "ready", starts its
// workers on "go" and reports what they ran until "stop". Spawned by scenarios.ts (IPC channel).
//   count mode: { count, sum } of job numbers every 20 ms (throughput, exactly-once check)
//   latency mode: { latency } per job (the payload is its enqueue time, epoch ms)
import type { Client, Config } from "./adapter.ts";
import { epochNow } from "./adapter.ts";
import { ADAPTERS } from "./adapters/index.ts";
import { benchEnv, type EnvSpec } from "./env.ts";

interface Spec {
  lib: string;
  config: Config;
  env: EnvSpec;
  mode: "count" | "latency";
}

const spec = JSON.parse(process.argv[2]!) as Spec;
const send = (message: object) => process.send!(message);
const adapter = await ADAPTERS[spec.lib]!();
const client: Client = await adapter.open(await benchEnv(spec.env), spec.config);
let count = 0;
let sum = 0;
let reporter: NodeJS.Timeout | undefined;

process.on("message", async (message: { type: string }) => {
  if (message.type === "go") {
    if (spec.mode === "count") {
      reporter = setInterval(() => send({ type: "count", count, sum }), 20);
      await client.work((n) => {
        count++;
        sum += n;
      });
    } else {
      await client.work((n) => send({ type: "latency", latency: epochNow() - n }));
    }
    send({ type: "working" });
  } else if (message.type === "stop") {
    clearInterval(reporter);
    send({ type: "count", count, sum });
    await client.close();
    process.exit(0);
  }
});
send({ type: "ready" });
