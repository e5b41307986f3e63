import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

/** Every relative import of every file under src/, as repo-relative paths. */
function importGraph(): Map<string, string[]> {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) files.push(path);
    }
  };
  walk("src");
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(file, "utf8");
    const targets = [...source.matchAll(/from\s+"(\.[^"]+)"/g)].map((m) =>
      relative(".", resolve(dirname(file), m[1]!)),
    );
    const packages = [...source.matchAll(/from\s+"([^.][^"]*)"/g)].map((m) => `pkg:${m[1]}`);
    graph.set(file, [...targets, ...packages]);
  }
  return graph;
}

const graph = importGraph();
const violations = (from: RegExp, forbidden: RegExp) =>
  [...graph].flatMap(([file, targets]) =>
    from.test(file) ? targets.filter((t) => forbidden.test(t)).map((t) => `${file} → ${t}`) : [],
  );

describe("architecture: the dependency rule", () => {
  it("core is pure: it imports only core, errors, croner and ipaddr.js — no I/O, adapters or runtime", () => {
    const bad = [...graph].flatMap(([file, targets]) =>
      file.startsWith("src/core/")
        ? targets
            .filter(
              (t) =>
                !t.startsWith("src/core/") &&
                t !== "src/errors.ts" &&
                t !== "pkg:croner" &&
                t !== "pkg:ipaddr.js",
            )
            .map((t) => `${file} → ${t}`)
        : [],
    );
    assert.deepEqual(bad, []);
  });

  it("core never reads the clock or randomness except clock.ts", () => {
    const bad = [...graph.keys()].filter(
      (file) =>
        file.startsWith("src/core/") &&
        file !== "src/core/clock.ts" &&
        /Date\.now\(|Math\.random\(|process\.env/.test(readFileSync(file, "utf8")),
    );
    assert.deepEqual(bad, []);
  });

  it("runtime and features never import a store adapter or a driver", () => {
    assert.deepEqual(
      violations(
        /^src\/(runtime|jobs|flows|monitors)\//,
        /src\/store\/(sqlite|postgres)\/|pkg:(better-sqlite3|pg)$/,
      ),
      [],
    );
  });

  it("only the composition root names an adapter", () => {
    const allowed = new Set(["src/store/open-store.ts"]);
    const bad = violations(/^src\//, /src\/store\/(sqlite|postgres)\/(sqlite|postgres)-store\.ts$/).filter(
      (v) => !allowed.has(v.split(" → ")[0]!) && !/^src\/store\/(sqlite|postgres)\//.test(v),
    );
    assert.deepEqual(bad, []);
  });

  it("the peer benchmark's peers are its own: not tickflow's dependencies, and tickflow is used through its public API", () => {
    const peers = Object.keys(JSON.parse(readFileSync("bench/peers/package.json", "utf8")).dependencies);
    const own = JSON.parse(readFileSync("package.json", "utf8"));
    const ours = new Set([...Object.keys(own.dependencies), ...Object.keys(own.devDependencies)]);
    const shared = new Set(["better-sqlite3", "pg"]); // the drivers tickflow itself runs on
    assert.deepEqual(
      peers.filter((p) => ours.has(p) && !shared.has(p)),
      [],
    );
    const adapters = readdirSync("bench/peers/adapters").map((name) => join("bench/peers/adapters", name));
    const reachIn = adapters.flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from\s+"(\.\.\/\.\.\/\.\.\/src\/[^"]+)"/g)]
        .map((m) => m[1])
        .filter((target) => target !== "../../../src/index.ts")
        .map((target) => `${file} → ${target}`),
    );
    assert.deepEqual(reachIn, []);
  });
});
