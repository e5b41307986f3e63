// Imports a peer library from THIS directory's node_modules (bench/peers or bench/peers/node24):
// a dynamic import resolves from the file that makes it, so the harness picks a peer set by
// picking which load-peer.mjs it imports.
import { readFileSync } from "node:fs";

export const loadPeer = (name) => import(name);
// Read from disk: some packages (graphile-worker 0.18) do not export their package.json.
export const peerVersion = async (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
