import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CONFIG_OPTIONS, ENV_ONLY_VARIABLES } from "../../src/cli/templates/config-reference.ts";
import { renderConfigurationMarkdown } from "../../src/cli/templates/configuration-md.ts";
import { HTTP_ENV_KEYS } from "../../src/config/http-schema.ts";
import { ENV_KEYS, mergeEnv } from "../../src/config/load.ts";
import { CONFIG_KEYS } from "../../src/config/schema.ts";

/**
 * The configuration docs cannot drift from the code: every key the schema accepts and every
 * environment variable the code reads must be in the reference (src/cli/templates/config-reference.ts,
 * the source of `tickflow init`'s files and of docs/configuration.md) and in README.md.
 */

/** Every key the schema accepts, nested ones dotted (`log.level`, `http.port`). */
function schemaKeys(): string[] {
  const defaults = mergeEnv({}, {});
  const nested: Record<string, string[]> = {
    log: Object.keys(defaults.log),
    http: Object.keys(defaults.http),
  };
  return CONFIG_KEYS.flatMap((key) => (nested[key] ? nested[key].map((k) => `${key}.${k}`) : [key]));
}

/** Every environment variable name that appears in src/ (the code that reads them, their messages). */
function envNamesInSource(): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) {
        for (const m of readFileSync(path, "utf8").matchAll(
          /\b(TICKFLOW_[A-Z0-9_]*[A-Z0-9]|ENABLE_HEARTBEAT|LOG_LEVEL|LOG_FORMAT)\b/g,
        ))
          names.add(m[1]!);
      }
    }
  };
  walk("src");
  return [...names].sort();
}

const documentedKeys = CONFIG_OPTIONS.map((o) => o.key);
const documentedEnv = [
  ...CONFIG_OPTIONS.flatMap((o) => (o.env ? [o.env] : [])),
  ...ENV_ONLY_VARIABLES.map((v) => v.env),
];
const missing = (wanted: readonly string[], have: readonly string[]) =>
  wanted.filter((w) => !have.includes(w));

describe("configuration docs", () => {
  it("the reference lists every key the config schema accepts, and no other", () => {
    assert.deepEqual(missing(schemaKeys(), documentedKeys), [], "keys missing from config-reference.ts");
    assert.deepEqual(
      missing(documentedKeys, schemaKeys()),
      [],
      "keys in config-reference.ts the schema lacks",
    );
  });

  it("the reference names the environment variable of every key that has one, as the loader maps it", () => {
    for (const [env, key] of Object.entries(ENV_KEYS)) {
      assert.equal(CONFIG_OPTIONS.find((o) => o.env === env)?.key, key, `${env} → ${key}`);
    }
    for (const [env, key] of Object.entries(HTTP_ENV_KEYS)) {
      assert.equal(CONFIG_OPTIONS.find((o) => o.env === env)?.key, `http.${key}`, `${env} → http.${key}`);
    }
    const loaderEnv = [...Object.keys(ENV_KEYS), ...Object.keys(HTTP_ENV_KEYS)];
    const optionEnv = CONFIG_OPTIONS.flatMap((o) => (o.env ? [o.env] : []));
    assert.deepEqual(missing(optionEnv, loaderEnv), [], "variables the loader does not read");
  });

  it("every environment variable named in src/ is documented", () => {
    assert.deepEqual(missing(envNamesInSource(), documentedEnv), []);
  });

  it("README.md names every config key and environment variable", () => {
    const readme = readFileSync("README.md", "utf8");
    assert.deepEqual(
      documentedKeys.filter((key) => !readme.includes(`\`${key}\``)),
      [],
      "config keys missing from README.md",
    );
    assert.deepEqual(
      documentedEnv.filter((env) => !readme.includes(env)),
      [],
      "environment variables missing from README.md",
    );
  });

  it("docs/configuration.md is generated from the reference (npm run docs:config)", () => {
    const docs = readFileSync("docs/configuration.md", "utf8");
    assert.ok(
      docs === renderConfigurationMarkdown(),
      "docs/configuration.md is stale: run npm run docs:config",
    );
    for (const key of schemaKeys()) assert.ok(docs.includes(`\`${key}\``), key);
    for (const env of documentedEnv) assert.ok(docs.includes(`\`${env}`), env);
  });
});
