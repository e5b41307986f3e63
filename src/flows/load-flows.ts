import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidFlowError } from "../errors.ts";
import { type FlowDefinition, isFlowDefinition } from "./define-flow.ts";

/** The flows folder `tickflow start` loads when the config names none. */
export const DEFAULT_FLOWS_DIR = "./flows";

/** Flow files: TypeScript or JavaScript modules, not declarations, tests or `_private` helpers. */
const FLOW_FILE = /\.(ts|mts|js|mjs)$/;
const NOT_A_FLOW_FILE = /(\.d\.(ts|mts)$)|(\.(test|spec)\.(ts|mts|js|mjs)$)|(^[_.])/;

/**
 * Loads every flow of a flows folder: each file (directly in the folder, sorted by name) must
 * default-export a `defineFlow(…)` result or an array of them. Definitions are validated when their
 * file is imported, so a bad flow stops startup here, before anything is written.
 * `optional`: a missing folder is no error (the config's default `./flows`).
 */
export async function loadFlowsFromDir(
  dir: string,
  options: { optional?: boolean; cwd?: string } = {},
): Promise<FlowDefinition[]> {
  const path = resolve(options.cwd ?? process.cwd(), dir);
  if (!existsSync(path)) {
    if (options.optional) return [];
    throw new InvalidFlowError(
      `flows folder ${path} does not exist (set flowsDir to the folder with your flows)`,
    );
  }
  if (!statSync(path).isDirectory()) throw new InvalidFlowError(`flows folder ${path} is not a folder`);
  const files = readdirSync(path)
    .filter((name) => FLOW_FILE.test(name) && !NOT_A_FLOW_FILE.test(name))
    .sort();
  const flows: FlowDefinition[] = [];
  const seen = new Map<string, string>();
  for (const name of files) {
    const file = join(path, name);
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(file).href)) as { default?: unknown };
    } catch (error) {
      const hint =
        /\.m?ts$/.test(name) && /Unknown file extension/.test(String(error)) ? " (run under tsx)" : "";
      throw new InvalidFlowError(`flow file ${file}: could not load: ${(error as Error).message}${hint}`);
    }
    const exported = module.default;
    const list = Array.isArray(exported) ? exported : [exported];
    if (list.length === 0 || !list.every(isFlowDefinition)) {
      throw new InvalidFlowError(
        `flow file ${file}: its default export must be a defineFlow(…) result or an array of them`,
      );
    }
    for (const flow of list) {
      const other = seen.get(flow.name);
      if (other) throw new InvalidFlowError(`flow "${flow.name}" is defined twice: in ${other} and ${file}`);
      seen.set(flow.name, file);
      flows.push(flow);
    }
  }
  return flows;
}
