import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { importUserModule } from "../config/user-module.ts";
import { InvalidFlowError } from "../errors.ts";
import { type FlowDefinition, isFlowDefinition } from "./define-flow.ts";

/** The flows folder `tickflow start` loads when the config names none. */
export const DEFAULT_FLOWS_DIR = "./flows";

/** Flow files: TypeScript or JavaScript modules, not declarations, tests or `_private` helpers. */
const FLOW_FILE = /\.[mc]?[tj]s$/;
const NOT_A_FLOW_FILE = /(\.d\.[mc]?ts$)|(\.(test|spec)\.[mc]?[tj]s$)|(^[_.])/;

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
      module = await importUserModule(file);
    } catch (error) {
      throw new InvalidFlowError(`flow file ${file}: could not load: ${(error as Error).message}`);
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
