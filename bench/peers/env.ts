import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { BenchEnv } from "./adapter.ts";

/** What a scenario process is told about its environment (JSON across processes). */
export interface EnvSpec {
  /** Set by the first process of a run; its worker processes share it. */
  dir?: string;
  pgUrl?: string;
  redisUrl?: string;
  namespace: string;
  /** The peer set directory: bench/peers (Node 20) or bench/peers/node24. */
  peersDir: string;
}

export async function benchEnv(spec: EnvSpec): Promise<BenchEnv & { spec: EnvSpec }> {
  const dir = spec.dir ?? mkdtempSync(join(tmpdir(), "tickflow-bench-peers-"));
  const loader = (await import(pathToFileURL(join(spec.peersDir, "load-peer.mjs")).href)) as {
    loadPeer(name: string): Promise<unknown>;
    peerVersion(name: string): Promise<string>;
  };
  return {
    dir,
    pgUrl: spec.pgUrl,
    redisUrl: spec.redisUrl,
    namespace: spec.namespace,
    loadPeer: loader.loadPeer,
    peerVersion: loader.peerVersion,
    spec: { ...spec, dir },
  };
}
