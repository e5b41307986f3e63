import type { Duration } from "../core/duration.ts";
import { parseDuration } from "../core/duration.ts";
import { optionsProblem } from "../core/options.ts";
import { InvalidOptionError } from "../errors.ts";
import { type ChannelOptions, defineChannel } from "./channels/define-channel.ts";
import { type AlertRule, type AlertRuleOptions, defineAlert } from "./define-alert.ts";

/** The `alerts` option of createTickflow and of the config file. */
export interface AlertsOptions {
  /** Channels by name: `{ kind: "webhook" | "slack" | "email" | "pagerduty", … }` (docs/alerts.md). */
  channels?: Record<string, ChannelOptions>;
  rules?: readonly (AlertRule | AlertRuleOptions)[];
  /** How often the rules are evaluated (one process per tick, cluster-wide); default "5s". */
  evaluateEvery?: Duration;
  /** Retry policy of deliveries; default exponential from 1s to 5m over 30 attempts (about 2 h). */
  deliveryRetry?: { attempts?: number; base?: Duration; max?: Duration };
}

const KEYS = ["channels", "rules", "evaluateEvery", "deliveryRetry"];
const RETRY_KEYS = ["attempts", "base", "max"];

/**
 * Validates the `alerts` option (config file or createTickflow) without starting anything: every
 * channel is built (secrets read from `env`), every rule validated, and every channel a rule
 * names must exist. Throws one clear line naming what is wrong.
 */
export function checkAlertsOptions(value: unknown, env: Record<string, string | undefined>): AlertsOptions {
  const problem = optionsProblem(value, KEYS, "alerts");
  if (problem) throw new InvalidOptionError(`alerts: ${problem}`);
  const o = (value ?? {}) as AlertsOptions;
  const channels = o.channels ?? {};
  if (typeof channels !== "object" || channels === null || Array.isArray(channels)) {
    throw new InvalidOptionError("alerts.channels: expected an object of channels by name");
  }
  for (const [name, channel] of Object.entries(channels)) defineChannel(name, channel, env);
  if (o.rules !== undefined && !Array.isArray(o.rules))
    throw new InvalidOptionError("alerts.rules: expected a list of rules");
  for (const input of o.rules ?? []) {
    const rule = defineAlert(input as AlertRuleOptions);
    const unknown = rule.channels.find((c) => !(c in channels));
    if (unknown !== undefined) {
      const known = Object.keys(channels);
      throw new InvalidOptionError(
        `alert "${rule.name}": unknown channel "${unknown}" (${known.length ? `channels: ${known.join(", ")}` : "no channels are configured"})`,
      );
    }
  }
  if (o.evaluateEvery !== undefined) {
    const ms = parseDuration(o.evaluateEvery, "alerts.evaluateEvery");
    if (ms < 100) throw new InvalidOptionError("alerts.evaluateEvery: at least 100ms");
  }
  const retryProblem = optionsProblem(o.deliveryRetry, RETRY_KEYS, "alerts.deliveryRetry");
  if (retryProblem) throw new InvalidOptionError(`alerts: ${retryProblem}`);
  return o;
}
