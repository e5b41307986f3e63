import { Alerts } from "./alerts/alerts.ts";
import type { AlertsOptions } from "./alerts/alerts-options.ts";
import { Checks } from "./checks/checks.ts";
import type { CheckDefinition, CheckOptions } from "./checks/define-check.ts";
import type { FeatureHost } from "./feature.ts";
import type { FlowDefinition } from "./flows/define-flow.ts";
import { FlowService } from "./flows/flow-service.ts";
import type { ScheduleReport } from "./liveness.ts";
import type { MonitorDefinition, MonitorOptions } from "./monitors/define-monitor.ts";
import { Monitors } from "./monitors/monitors.ts";

export interface FeatureOptions {
  monitors?: readonly (MonitorDefinition | MonitorOptions)[];
  checks?: readonly (CheckDefinition | CheckOptions)[];
  alerts?: AlertsOptions;
  env?: Record<string, string | undefined>;
  flows?: readonly FlowDefinition[];
  flowRunRetentionMs?: number | null;
  flowRunsKept?: number | null;
}

/** The features every instance has, composed once, here, for the facade. */
export class Features {
  readonly monitors: Monitors;
  readonly flows: FlowService;
  readonly checks: Checks;
  readonly alerts: Alerts;

  /** `scheduleReports`: the schedules with their health (tickflow.liveness), read by the alert rules. */
  constructor(host: FeatureHost, options: FeatureOptions, scheduleReports: () => Promise<ScheduleReport[]>) {
    const env = options.env ?? process.env;
    this.monitors = new Monitors(host);
    for (const monitor of options.monitors ?? []) this.monitors.add(monitor);
    this.flows = new FlowService(host, {
      runRetentionMs: options.flowRunRetentionMs,
      runsKeptPerFlow: options.flowRunsKept,
    });
    this.flows.define(...(options.flows ?? []));
    this.checks = new Checks(host, env);
    for (const check of options.checks ?? []) this.checks.add(check);
    const reads = {
      checks: () => this.checks.status(),
      monitors: () => this.monitors.status(),
      schedules: async () =>
        (await scheduleReports()).map((r) => ({
          id: r.schedule.id,
          health: r.health.status,
          summary: `schedule ${r.schedule.id} is ${r.health.status}: ${r.health.reason}`,
        })),
    };
    this.alerts = new Alerts(host, reads, options.alerts ?? {}, env);
  }

  /** Refuses (before anything is written) an alert rule on a schedule, flow, monitor or check not defined here. */
  checkTargets(scheduleKeys: Iterable<string>): void {
    this.alerts.checkTargets({
      schedules: [...scheduleKeys],
      flows: this.flows.names(),
      monitors: this.monitors.list().map((m) => m.name),
      checks: this.checks.list().map((c) => c.key),
    });
  }

  /** After the schedules are stored: the monitors' and the checks' rows. */
  async sync(now: number): Promise<void> {
    await this.monitors.sync(now);
    await this.checks.sync(now);
  }
}
