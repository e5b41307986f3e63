import { Checks } from "./checks/checks.ts";
import type { CheckDefinition, CheckOptions } from "./checks/define-check.ts";
import type { FeatureHost } from "./feature.ts";
import type { FlowDefinition } from "./flows/define-flow.ts";
import { FlowService } from "./flows/flow-service.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import { Monitors } from "./monitors/monitors.ts";

export interface FeatureOptions {
  monitors?: readonly (MonitorDefinition | MonitorOptions)[];
  checks?: readonly (CheckDefinition | CheckOptions)[];
  env?: Record<string, string | undefined>;
  flows?: readonly FlowDefinition[];
  flowRunRetentionMs?: number | null;
  flowRunsKept?: number | null;
}

/** The composition of the features every instance has: built once, here, for the facade. */
export function composeFeatures(
  host: FeatureHost,
  options: FeatureOptions,
): { monitors: Monitors; flows: FlowService; checks: Checks } {
  const monitors = new Monitors(host);
  for (const monitor of options.monitors ?? []) monitors.add(monitor);
  const flows = new FlowService(host, {
    runRetentionMs: options.flowRunRetentionMs,
    runsKeptPerFlow: options.flowRunsKept,
  });
  flows.define(...(options.flows ?? []));
  const checks = new Checks(host, options.env ?? process.env);
  for (const check of options.checks ?? []) checks.add(check);
  return { monitors, flows, checks };
}
