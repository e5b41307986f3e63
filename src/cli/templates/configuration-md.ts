import { CONFIG_OPTIONS, ENV_ONLY_VARIABLES, envExampleValue } from "./config-reference.ts";

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * docs/configuration.md, generated from the same reference as `tickflow init`'s files
 * (`npm run docs:config` writes it; test/docs/config-docs.test.ts fails when it is stale).
 */
export function renderConfigurationMarkdown(): string {
  const lines = [
    "# Configuration",
    "",
    "<!-- Generated from src/cli/templates/config-reference.ts by `npm run docs:config`; do not edit by hand. -->",
    "",
    "tickflow reads one config file, `tickflow.config.ts` in the working directory (or the file named by",
    "`--config` or `TICKFLOW_CONFIG`), which default-exports `defineConfig({ … })`, and environment",
    "variables, which win over the file. `tickflow init` writes both a `tickflow.config.ts` listing every",
    "option below at its default (commented out) and a `.env.example` listing every variable.",
    "",
    "Everything is validated at startup: an invalid value, or an unknown key (with a suggestion when it",
    "looks like a typo), stops the process with one line naming every problem and its key — the",
    "environment variable's name when the value came from one:",
    "",
    "```",
    "$ TICKFLOW_CONCURRENCY=lots tickflow start",
    "tickflow: invalid configuration: TICKFLOW_CONCURRENCY: Invalid input: expected number, received string",
    "```",
    "",
    "`tickflow status --check` validates the configuration, the flows folder and the database",
    "connection without starting anything, and prints warnings (e.g. an HTTP service without a token).",
    "",
    "Durations are milliseconds or text with one unit: `500ms`, `30s`, `5m`, `1h`, `1d`. In an environment variable, digits alone are milliseconds (`TICKFLOW_LEASE=30000`); in the config file a string needs its unit. No duration may exceed 100 years, and those that drive a timer (lease, poll interval, shutdown grace, job and flow timeouts) at most 2147483647ms (about 24.9 days), the longest a Node.js timer waits.",
    "",
    "## Options",
    "",
    "| key | environment variable | type | default | accepted values |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const o of CONFIG_OPTIONS) {
    const def = o.default !== undefined ? `\`${o.default}\`` : (o.defaultText ?? "unset");
    lines.push(
      `| \`${o.key}\` | ${o.env ? `\`${o.env}\`` : "—"} | \`${cell(o.type)}\` | ${cell(def)} | ${cell(o.rule)} |`,
    );
  }
  lines.push("", "## What each option does", "");
  for (const o of CONFIG_OPTIONS) {
    lines.push(`### \`${o.key}\``, "", o.description, "");
    if (o.env) {
      const format = o.envFormat ? ` (${o.envFormat})` : "";
      lines.push(`Environment: \`${o.env}=${envExampleValue(o)}\`${format}.`, "");
    }
  }
  lines.push(
    "## Environment variables that are not config keys",
    "",
    "| variable | default | accepted values | what it does |",
    "| --- | --- | --- | --- |",
  );
  for (const v of ENV_ONLY_VARIABLES) {
    lines.push(`| \`${v.env}\` | \`${v.default}\` | ${cell(v.rule)} | ${cell(v.description)} |`);
  }
  lines.push(
    "",
    "## Example",
    "",
    "```ts",
    "// tickflow.config.ts",
    'import { defineConfig, defineJob, defineSchedule } from "tickflow";',
    "",
    'const report = defineJob("report.daily", async (_payload, ctx) => {',
    '  ctx.logger.info("building the report");',
    "});",
    "",
    "export default defineConfig({",
    '  database: "postgres://tickflow@db.internal/app",',
    "  concurrency: 20,",
    '  retention: "14d",',
    "  jobs: [report],",
    '  schedules: [defineSchedule({ key: "daily-report", job: report, cron: "0 9 * * 1-5", timezone: "Europe/Berlin" })],',
    "  // the token comes from TICKFLOW_TOKEN, kept out of the file",
    '  http: { host: "0.0.0.0", allowedIps: ["10.0.0.0/8"], trustedProxies: ["10.0.0.2"] },',
    "});",
    "```",
    "",
  );
  return lines.join("\n");
}
