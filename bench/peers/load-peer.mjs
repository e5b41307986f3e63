// Imports a peer library from THIS directory's node_modules (bench/peers or bench/peers/node24):
// a dynamic import resolves from the file that makes it, so the harness picks a peer set by
// picking which load-peer.mjs it imports.
export const loadPeer = (name) => import(name);
export const peerVersion = async (name) =>
  (await import(`${name}/package.json`, { with: { type: "json" } })).default.version;
