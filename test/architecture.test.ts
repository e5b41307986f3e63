import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";

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

/** Import cycles among src/ files (strongly connected components of two files or more). */
function importCycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}

const SURFACES = /^src\/(http|dashboard|cli)\//;

describe("architecture: the store's shape", () => {
  it("src/ has no import cycles", () => {
    assert.deepEqual(importCycles(), []);
  });

  it("http, dashboard, cli and config import no adapter file and no driver", () => {
    assert.deepEqual(
      violations(
        /^src\/(http|dashboard|cli|config)\//,
        /src\/store\/(sqlite|postgres)\/|src\/store\/open-store\.ts$|pkg:(better-sqlite3|pg)$/,
      ),
      [],
    );
  });

  it("surfaces import no runtime internals and no write port of the store", () => {
    assert.deepEqual(
      violations(
        SURFACES,
        /src\/runtime\/|src\/store\/(store|open-store)\.ts$|src\/store\/ports\/(job|schedule|flow|monitor|history)-store\.ts$/,
      ),
      [],
    );
  });

  it("surfaces read through tickflow.queries, never through tickflow.store", () => {
    const bad = [...graph.keys()].filter(
      (file) =>
        SURFACES.test(file) &&
        /\.store\.(jobs|schedules|flows|monitors|queries)\b|tickflow\.store\b/.test(
          readFileSync(file, "utf8"),
        ),
    );
    assert.deepEqual(bad, []);
  });

  it("SQL lives in the adapters (one file per aggregate, *-sql.ts) and the migrations only", () => {
    const SQL =
      /`\s*(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|WITH \w+ AS)\b|"(SELECT|INSERT INTO|DELETE FROM) /;
    const bad = [...graph.keys()].filter(
      (file) =>
        !/^src\/store\/(sqlite|postgres)\//.test(file) &&
        file !== "src/store/migrations.generated.ts" &&
        file !== "src/cli/templates/sql.ts" &&
        SQL.test(readFileSync(file, "utf8")),
    );
    assert.deepEqual(bad, []);
  });
});

describe("architecture: small files, short functions", () => {
  const sources = [...graph.keys()].filter((file) => !file.endsWith(".generated.ts"));

  it("no file in src/ is over 400 lines", () => {
    const long = sources
      .map((file) => [file, readFileSync(file, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 400);
    assert.deepEqual(long, []);
  });

  it("no function in src/ is over 120 lines", () => {
    const long: string[] = [];
    for (const file of sources) {
      const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
          const line = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
          const lines = line(node.body.getEnd()) - line(node.getStart(source)) + 1;
          if (lines > 120) long.push(`${file}:${line(node.getStart(source)) + 1} (${lines} lines)`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    assert.deepEqual(long, []);
  });
});
