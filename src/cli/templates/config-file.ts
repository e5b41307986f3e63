import {
  CONFIG_OPTIONS,
  type ConfigOption,
  ENV_ONLY_VARIABLES,
  envExampleValue,
} from "./config-reference.ts";

export interface ConfigFileOptions {
  /** The module `defineConfig` is imported from (default "tickflow"). */
  importFrom?: string;
  /**
   * Write every option that has a default as an active line instead of a comment (for the test
   * that proves the file and the schema agree; `tickflow init` writes them commented out).
   */
  active?: boolean;
}

/** Examples shown above the list options (the file documents itself). */
const LIST_EXAMPLES: Record<string, string[]> = {
  jobs: ['e.g. defineJob("email.send", async (payload, ctx) => { … }, { queue: "mail", maxAttempts: 5 })'],
  schedules: [
    'e.g. defineSchedule({ key: "daily-report", job: "report", cron: "0 9 * * 1-5", timezone: "Europe/Berlin" })',
  ],
  monitors: [
    'e.g. { name: "bank", url: "https://bank.example.com/health", interval: "30s", gates: ["payments"] }',
  ],
  flows: ["flows in the flows folder are loaded without being listed here"],
};

/** One line of the file: `code` at `depth` (1 = inside defineConfig), commented out unless `on`. */
interface Line {
  depth: number;
  code: string;
  on: boolean;
}

/**
 * `tickflow.config.ts` with every option, each with what it does, its environment variable and
 * its default. Options are commented out: the file changes nothing until a line is uncommented,
 * so a project follows tickflow's defaults as they evolve.
 */
export function renderConfigFile(options: ConfigFileOptions = {}): string {
  const importFrom = options.importFrom ?? "tickflow";
  const active = options.active ?? false;
  const body: Line[] = [];
  const groups = new Map<string, ConfigOption[]>();
  for (const option of CONFIG_OPTIONS) {
    const top = option.key.split(".")[0]!;
    groups.set(top, [...(groups.get(top) ?? []), option]);
  }
  for (const [top, group] of groups) {
    if (body.length > 0) body.push({ depth: 0, code: "", on: true });
    if (!group[0]!.key.includes(".")) {
      body.push(...optionLines(group[0]!, group[0]!.key, 1, true, active));
      continue;
    }
    const open = active && group.some((o) => o.default !== undefined);
    body.push(...wrap(GROUP_DESCRIPTIONS[top] ?? "").map((code) => ({ depth: 1, code, on: true })));
    body.push({ depth: 1, code: `${top}: {`, on: open });
    for (const option of group) {
      body.push(...optionLines(option, option.key.slice(top.length + 1), 2, open, active));
    }
    body.push({ depth: 1, code: "},", on: open });
  }
  return [
    "// tickflow configuration, written by `tickflow init`.",
    "//",
    "// Every option is listed at its default, commented out: uncomment a line to change it.",
    "// Environment variables (listed in .env.example) win over this file. `tickflow status --check`",
    "// validates it; an invalid value stops startup with a message naming the key.",
    "// Reference: docs/configuration.md in the tickflow package.",
    `import { defineConfig } from ${JSON.stringify(importFrom)};`,
    "",
    "export default defineConfig({",
    ...body.map(renderLine),
    "});",
    "",
  ].join("\n");
}

function renderLine(line: Line): string {
  if (line.code === "") return "";
  if (line.on) return `${"  ".repeat(line.depth)}${line.code}`;
  return `  // ${"  ".repeat(line.depth - 1)}${line.code}`;
}

const GROUP_DESCRIPTIONS: Record<string, string> = {
  log: "Logging (pino).",
  http: "The HTTP service of `tickflow start`: heartbeat, REST API, health and metrics (docs/security.md).",
};

/** An option's description (always shown) and its line (active only when asked and it has a default). */
function optionLines(
  option: ConfigOption,
  name: string,
  depth: number,
  blockOn: boolean,
  active: boolean,
): Line[] {
  const text = [option.description];
  if (option.env)
    text.push(`env ${option.env}${option.envFormat ? ` (${stripTicks(option.envFormat)})` : ""}.`);
  text.push(`Accepts ${stripTicks(option.rule)}.`);
  if (option.default === undefined) text.push(`Default: ${stripTicks(option.defaultText ?? "unset")}.`);
  for (const example of LIST_EXAMPLES[option.key] ?? [])
    text.push(`${example[0]!.toUpperCase()}${example.slice(1)}.`);
  const value = option.default ?? option.example!;
  return [
    ...wrap(text.join(" ")).map((code) => ({ depth, code, on: blockOn })),
    { depth, code: `${name}: ${value},`, on: blockOn && active && option.default !== undefined },
  ];
}

/** Wraps text into `// ` comment lines of at most ~90 characters. */
function wrap(text: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + word.length + 1 > 90) {
      lines.push(`// ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`// ${line}`);
  return lines;
}

const stripTicks = (text: string) => text.replace(/`/g, "");

/** `.env.example`: every environment variable tickflow reads, commented out at its default. */
export function renderEnvExample(): string {
  const lines = [
    "# Environment variables tickflow reads, written by `tickflow init`. Each wins over the same",
    "# option in tickflow.config.ts. All are shown at their default, commented out.",
    "# Reference: docs/configuration.md in the tickflow package.",
  ];
  for (const option of CONFIG_OPTIONS) {
    if (!option.env) continue;
    lines.push("", `# ${option.description}`);
    lines.push(`# config key ${option.key}; ${stripTicks(option.envFormat ?? option.rule)}.`);
    if (option.default === undefined) lines.push(`# Default: ${stripTicks(option.defaultText ?? "unset")}.`);
    lines.push(`# ${option.env}=${envExampleValue(option)}`);
  }
  for (const variable of ENV_ONLY_VARIABLES) {
    lines.push("", `# ${variable.description}`, `# ${stripTicks(variable.rule)}.`);
    lines.push(`# ${variable.env}=${variable.default}`);
  }
  lines.push("");
  return lines.join("\n");
}
