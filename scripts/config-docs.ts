// Writes docs/configuration.md from src/cli/templates/config-reference.ts (npm run docs:config).
// test/docs/config-docs.test.ts fails when the file is stale.
import { writeFileSync } from "node:fs";
import { renderConfigurationMarkdown } from "../src/cli/templates/configuration-md.ts";

writeFileSync(new URL("../docs/configuration.md", import.meta.url), renderConfigurationMarkdown());
console.log("wrote docs/configuration.md");
