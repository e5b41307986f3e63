import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { DEFAULT_CONFIG_FILE } from "../../config/config-file.ts";
import { CliError } from "../common.ts";
import { renderConfigFile, renderEnvExample } from "../templates/config-file.ts";
import { renderFlowFile, renderFlowTest, validateGeneratedFlowName } from "../templates/flow.ts";
import { renderSqlMigrations } from "../templates/sql.ts";

/** A file a generator writes: path relative to the target folder. */
export interface GeneratedFile {
  path: string;
  text: string;
}

/**
 * Writes `files` under `root`: all or nothing — when any exists and `force` is not set, nothing
 * is written and the error lists them. Returns the paths written.
 */
export function writeFiles(root: string, files: readonly GeneratedFile[], force: boolean): string[] {
  const existing = files
    .filter((f) => existsSync(join(root, f.path)))
    .map((f) => relative(process.cwd(), join(root, f.path)));
  if (existing.length > 0 && !force) {
    throw new CliError(
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}: nothing was written (--force overwrites)`,
      "FILE_EXISTS",
    );
  }
  for (const file of files) {
    const path = join(root, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text);
  }
  return files.map((f) => f.path);
}

/**
 * What the generated TypeScript files are named in the project at `root`: `.ts` in an ES module
 * package ("type": "module"), `.mts` in a CommonJS one, so the files load, type-check and run their
 * tests as ES modules in the package as it is. An existing package.json is never changed (setting
 * "type": "module" would break the application's own require() code); `write` lets `init` create
 * one, as an ES module package, where there is none. Returns the extension and what to tell the user.
 */
export function projectModuleKind(
  root: string,
  write: boolean,
): { ext: "ts" | "mts"; done?: string; warning?: string } {
  const path = join(root, "package.json");
  if (!existsSync(path)) {
    if (!write) return { ext: "ts", warning: "no package.json here: tickflow init writes one" };
    const name = basename(resolve(root))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[._-]+/, "");
    const pkg = {
      name: name || "tickflow-project",
      private: true,
      type: "module",
      scripts: { start: "tickflow start", "test:flows": "node --import tsx --test flows/*.test.ts" },
    };
    writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
    return { ext: "ts", done: "wrote package.json" };
  }
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    throw new CliError(
      `${relative(process.cwd(), path) || "package.json"} is not valid JSON: fix it first`,
      "INVALID_PACKAGE",
    );
  }
  return { ext: pkg.type === "module" ? "ts" : "mts" };
}

export function registerInit(program: Command): void {
  program
    .command("init")
    .description(
      "set up a project: tickflow.config.ts, flows/ with an example flow and its test, .env.example",
    )
    .option("--force", "overwrite existing files")
    .option(
      "--sql <dir>",
      "instead: export the SQL migrations of both dialects to <dir> (sqlite/, postgres/)",
    )
    .option(
      "--schema <name>",
      "with --sql: the PostgreSQL schema the files create (default TICKFLOW_PG_SCHEMA or tickflow)",
    )
    .option("--import-from <module>", "the module generated files import tickflow from", "tickflow")
    .addHelpText(
      "after",
      `
Writes, in the working directory:
  tickflow.config.ts   every option at its default, commented out, with what it does
  flows/example.ts     an example data flow (and flows/example.test.ts, its test)
  .env.example         every environment variable tickflow reads
  package.json         written ("type": "module") only when there is none
In a CommonJS package (no "type": "module") the TypeScript files are .mts, so they are ES modules
without changing the package: tickflow.config.mts, flows/example.mts, flows/example.test.mts.
Existing files are never overwritten without --force.

  tickflow init --sql db/tickflow    exports db/tickflow/sqlite/0001_initial.sql, …/postgres/0001_initial.sql, …`,
    )
    .action((options: { force?: boolean; sql?: string; schema?: string; importFrom: string }) => {
      const cwd = process.cwd();
      if (options.sql !== undefined) {
        const dir = resolve(cwd, options.sql);
        const schema = options.schema ?? (process.env.TICKFLOW_PG_SCHEMA || "tickflow");
        let files: GeneratedFile[];
        try {
          files = renderSqlMigrations({ schema });
        } catch (error) {
          throw new CliError((error as Error).message, "INVALID_OPTION");
        }
        const written = writeFiles(dir, files, options.force ?? false);
        for (const path of written) console.log(`wrote ${relative(cwd, join(dir, path)) || path}`);
        return;
      }
      if (options.schema !== undefined)
        throw new CliError("--schema goes with --sql <dir>", "INVALID_OPTION");
      const example = validateGeneratedFlowName("example");
      const { ext } = projectModuleKind(cwd, false);
      const flowOptions = { name: example, importFrom: options.importFrom, schedule: "0 * * * *", ext };
      const configFile = ext === "ts" ? DEFAULT_CONFIG_FILE : "tickflow.config.mts";
      const files: GeneratedFile[] = [
        { path: configFile, text: renderConfigFile({ importFrom: options.importFrom }) },
        { path: `flows/example.${ext}`, text: renderFlowFile(flowOptions) },
        { path: `flows/example.test.${ext}`, text: renderFlowTest(flowOptions) },
        { path: ".env.example", text: renderEnvExample() },
      ];
      const written = writeFiles(cwd, files, options.force ?? false);
      for (const path of written) console.log(`wrote ${path}`);
      const pkg = projectModuleKind(cwd, true);
      if (pkg.done) console.log(pkg.done);
      const testCommand = `node --import tsx --test flows/example.test.${ext}`;
      console.log(`
Next:
  npm install tickflow                              (if it is not installed yet)
  npx tickflow migrate                              creates ./tickflow.db (SQLite; see .env.example)
  npx tickflow trigger example --wait               runs the example flow once, here
  ${testCommand.padEnd(49)} its test
  npx tickflow start                                scheduler, workers and HTTP on 127.0.0.1:7070
  npx tickflow new flow <name>                      another flow, with its test
Drivers: SQLite (better-sqlite3) comes with tickflow; for PostgreSQL, npm install pg.`);
    });
}
