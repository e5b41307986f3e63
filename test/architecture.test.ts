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

  it("drivers are imported (as values) only by their own adapter's files", () => {
    const bad = [...graph.keys()].flatMap((file) => {
      const source = readFileSync(file, "utf8");
      const drivers = [...source.matchAll(/^import (?!type )[^;]*from\s+"(better-sqlite3|pg)"/gm)].map(
        (m) => m[1],
      );
      return drivers
        .filter((d) => !file.startsWith(d === "pg" ? "src/store/postgres/" : "src/store/sqlite/"))
        .map((d) => `${file} → ${d}`);
    });
    assert.deepEqual(bad, []);
  });

  it("open-store.ts imports each adapter lazily (import()), so a process loads only the driver its URL needs", () => {
    const source = readFileSync("src/store/open-store.ts", "utf8");
    assert.doesNotMatch(source, /^import [^;]*from\s+"\.\/(sqlite|postgres)\//m);
    assert.match(source, /import\("\.\/sqlite\/sqlite-store\.ts"\)/);
    assert.match(source, /import\("\.\/postgres\/postgres-store\.ts"\)/);
  });
});
