import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Loads one of the user's own modules (the config file, a flow file) by path.
 *
 * JavaScript goes through Node's own `import()`. TypeScript goes, where Node strips types itself
 * (22.18+, 24: `process.features.typescript`), through Node's own `import()` too — no loader, no
 * extra thread. Where it does not (Node 20), or where a file needs more than type stripping (an
 * enum, a parameter property, a type imported without `import type`, an extensionless relative
 * import), it goes through tsx's namespaced loader: its hooks apply only to the modules imported
 * through it (and what they import), never to the rest of the process, so tickflow's own compiled
 * code and the application around it load as Node loads them. Those failures happen while Node
 * loads and links the file, before any of its code runs, so loading it again through tsx runs it
 * once. tsx is imported on the first file that needs it only.
 * Works the same in ES module and CommonJS packages: `.ts` follows the package's "type", `.mts` is
 * always ESM, `.cts` always CommonJS.
 */
export async function importUserModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  let module: Record<string, unknown>;
  try {
    if (TYPESCRIPT.test(path)) module = await importTypescript(url);
    else module = (await import(url)) as typeof module;
  } catch (error) {
    throw new Error(userModuleProblem(path, error));
  }
  return esModuleOf(module);
}

/**
 * A CommonJS file compiled from `export default …` (a `.cts`, or a `.ts` in a CommonJS package)
 * arrives as `{ default: { __esModule: true, default: … } }`: unwrap it to what the file exported.
 */
function esModuleOf(module: Record<string, unknown>): Record<string, unknown> {
  const inner = module.default as Record<string, unknown> | undefined;
  if (inner && typeof inner === "object" && inner.__esModule === true && "default" in inner) return inner;
  return module;
}

const TYPESCRIPT = /\.[mc]?ts$/;

/** Node's own type stripping, where this Node has it on (it is off under some flags). */
const nodeStripsTypes = Boolean((process.features as { typescript?: string | false }).typescript);

/** Failures of Node's type stripping that tsx handles; each is raised before the module runs. */
const NEEDS_TSX = new Set([
  "ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX",
  "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING",
  "ERR_MODULE_NOT_FOUND",
  "ERR_UNSUPPORTED_DIR_IMPORT",
  "ERR_UNKNOWN_FILE_EXTENSION",
]);

async function importTypescript(url: string): Promise<Record<string, unknown>> {
  if (nodeStripsTypes) {
    try {
      return (await import(url)) as Record<string, unknown>;
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      // Raised while compiling or linking, before the module ran: a type imported as a value, or
      // ES module syntax in a .ts that the package makes CommonJS (tsx compiles that one too).
      const beforeRun =
        e instanceof SyntaxError &&
        /does not provide an export named|Cannot use import statement outside a module|Unexpected token 'export'/.test(
          e.message,
        );
      if (!beforeRun && !NEEDS_TSX.has(e.code ?? "")) throw error;
    }
  }
  // A .ts file the package makes CommonJS: tsx's scoped require compiles it (import/export too).
  if (/\.ts$/.test(url) && packageTypeAt(dirname(fileURLToPath(url))) === "commonjs") {
    const { register } = await import("tsx/cjs/api");
    commonjsLoader ??= register({ namespace: "tickflow-user-cjs" }).require;
    return { default: commonjsLoader(fileURLToPath(url), import.meta.url) as unknown };
  }
  const scoped = await typescriptLoader();
  return (await scoped(url, import.meta.url)) as Record<string, unknown>;
}

let commonjsLoader: ((id: string, fromFile: string) => unknown) | undefined;

type ScopedImport = (specifier: string, parent: string) => Promise<unknown>;
let loader: Promise<ScopedImport> | undefined;

function typescriptLoader(): Promise<ScopedImport> {
  loader ??= import("tsx/esm/api").then(({ register }) => register({ namespace: "tickflow-user" }).import);
  return loader;
}

/**
 * One line for a user module that did not load. Mixing module systems is the common case (a `.ts`
 * in a CommonJS package written with `export`, or `require` in an ES module): name the file to
 * rename and what to rename it to.
 */
export function userModuleProblem(path: string, error: unknown): string {
  const message = firstLine(error instanceof Error ? error.message : String(error));
  const name = basename(path);
  const ext = extname(path);
  const base = name.slice(0, name.length - ext.length);
  const isTs = TYPESCRIPT.test(path);
  const esm = packageTypeAt(dirname(path)) === "module";
  if (/\b(require|module|exports|__dirname|__filename) is not defined in ES module scope/.test(message)) {
    const to = isTs ? `${base}.cts` : `${base}.cjs`;
    return `${name} uses CommonJS (${message.split(" ")[0]}) but loads as an ES module${esm ? ' (package.json "type": "module")' : ""}: rename it to ${to}, or use import/export`;
  }
  if (
    /Cannot use import statement outside a module|Unexpected token 'export'|require\(\) (of )?ES Module|ERR_REQUIRE_ESM|ERR_REQUIRE_CYCLE_MODULE|await is only valid/.test(
      message,
    )
  ) {
    const to = isTs ? `${base}.mts` : `${base}.mjs`;
    return `${name} uses ES module syntax but loads as CommonJS${esm ? "" : ' (package.json has no "type": "module")'}: rename it to ${to}`;
  }
  if (/Unknown file extension/.test(message))
    return `${message} (tickflow loads .ts, .mts, .cts, .js, .mjs, .cjs)`;
  // Callers name the file ("flow file …: could not load: …"): the message alone, once.
  return message;
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "") ?? text;
}

/** The "type" of the nearest package.json above `dir` (Node's own rule for .js and .ts files). */
export function packageTypeAt(dir: string): "module" | "commonjs" {
  for (let current = dir; ; current = dirname(current)) {
    const file = join(current, "package.json");
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, "utf8")) as { type?: string }).type === "module"
          ? "module"
          : "commonjs";
      } catch {
        return "commonjs";
      }
    }
    if (dirname(current) === current) return "commonjs";
  }
}
