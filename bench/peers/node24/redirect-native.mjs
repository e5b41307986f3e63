// Loaded with --import on the Node 24 peer set: better-sqlite3 is a native addon, and the copy in
// the repository's node_modules is built for the Node the project develops on (20). Every import
// of it — tickflow's own included — resolves to this directory's copy, built by `npm ci` here
// under Node 24.
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    const here = ${JSON.stringify(new URL("./", import.meta.url).href)};
    export async function resolve(specifier, context, next) {
      if (specifier === "better-sqlite3") return next(specifier, { ...context, parentURL: here + "load-peer.mjs" });
      return next(specifier, context);
    }`)}`,
);
