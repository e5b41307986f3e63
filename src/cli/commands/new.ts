import { join, relative, resolve } from "node:path";
import type { Command } from "commander";
import { validateQueueName } from "../../core/names.ts";
import { parseTrigger } from "../../core/triggers.ts";
import { DEFAULT_FLOW_RETRIES } from "../../flows/define-flow.ts";
import { CliError } from "../common.ts";
import { renderFlowFile, renderFlowTest, validateGeneratedFlowName } from "../templates/flow.ts";
import { projectModuleKind, writeFiles } from "./init.ts";

interface NewFlowOptions {
  dir?: string;
  schedule?: string;
  queue?: string;
  retries?: string;
  importFrom: string;
  force?: boolean;
}

const DURATION_TEXT = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)$/;

export function registerNew(program: Command): void {
  const generate = program
    .command("new")
    .description("generate code from a template (tickflow new flow <name>)");

  generate
    .command("flow <name>")
    .description(
      "write flows/<name>.ts (a data flow) and flows/<name>.test.ts (its test, passing as generated)",
    )
    .option("-d, --dir <folder>", "the flows folder (default TICKFLOW_FLOWS_DIR or ./flows)")
    .option(
      "--schedule <cron-or-interval>",
      'when it runs by itself, e.g. "0 2 * * *" or "15m" (default: only when triggered)',
    )
    .option("--queue <name>", "its queue (default: default)")
    .option("--retries <n>", `retries after a failed attempt (default ${DEFAULT_FLOW_RETRIES})`)
    .option("--import-from <module>", "the module the files import tickflow from", "tickflow")
    .option("--force", "overwrite existing files")
    .addHelpText(
      "after",
      `
The name is the flow's identity: 1-64 letters, digits, "_", "-" or ".", not starting with "_"
or "." (such files are not loaded). Run the generated test with
  node --import tsx --test flows/<name>.test.ts`,
    )
    .action((rawName: string, options: NewFlowOptions) => {
      const name = validateGeneratedFlowName(rawName);
      if (options.queue !== undefined) validateQueueName(options.queue);
      let retries: number | undefined;
      if (options.retries !== undefined) {
        if (!/^\d+$/.test(options.retries) || Number(options.retries) > 100) {
          throw new CliError(
            `--retries must be an integer from 0 to 100, got ${JSON.stringify(options.retries)}`,
          );
        }
        retries = Number(options.retries);
      }
      if (options.schedule !== undefined) {
        const text = options.schedule.trim();
        try {
          parseTrigger(DURATION_TEXT.test(text) ? { every: text } : { cron: text }, name);
        } catch (error) {
          throw new CliError(`--schedule: ${(error as Error).message}`, "INVALID_OPTION");
        }
      }
      const cwd = process.cwd();
      const dir = resolve(cwd, options.dir ?? (process.env.TICKFLOW_FLOWS_DIR || "flows"));
      const pkg = projectModuleKind(cwd, false);
      const { ext } = pkg;
      const template = {
        ext,
        name,
        importFrom: options.importFrom,
        schedule: options.schedule?.trim(),
        queue: options.queue,
        retries,
      };
      const written = writeFiles(
        dir,
        [
          { path: `${name}.${ext}`, text: renderFlowFile(template) },
          { path: `${name}.test.${ext}`, text: renderFlowTest(template) },
        ],
        options.force ?? false,
      );
      for (const path of written) console.log(`wrote ${relative(cwd, join(dir, path))}`);
      if (pkg.warning) process.stderr.write(`warning: ${pkg.warning}\n`);
      const test = relative(cwd, join(dir, `${name}.test.${ext}`));
      console.log(`
Next:
  node --import tsx --test ${test}    its test
  npx tickflow trigger ${name} --wait${" ".repeat(Math.max(1, 18 - name.length))}runs it once, here`);
    });
}
