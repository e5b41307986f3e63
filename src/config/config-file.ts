import { existsSync } from "node:fs";
import { resolve } from "node:path";

/** Where the config file is looked for (no validation here: the CLI reads these names without loading zod). */
export const DEFAULT_CONFIG_FILE = "tickflow.config.ts";
/**
 * The names looked for when none is given, in this order: `tickflow init` writes `.ts` in an ES
 * module package and `.mts` in a CommonJS one (it never changes the package's "type").
 */
export const CONFIG_FILE_NAMES = [
  DEFAULT_CONFIG_FILE,
  "tickflow.config.mts",
  "tickflow.config.cts",
  "tickflow.config.js",
  "tickflow.config.mjs",
  "tickflow.config.cjs",
] as const;

/** The config file `loadConfig` reads in `cwd`: the one named, else the first of CONFIG_FILE_NAMES there. */
export function configFilePath(cwd: string, named?: string): string {
  if (named) return resolve(cwd, named);
  const found = CONFIG_FILE_NAMES.map((name) => resolve(cwd, name)).find((path) => existsSync(path));
  return found ?? resolve(cwd, DEFAULT_CONFIG_FILE);
}
