import { didYouMean } from "../../core/did-you-mean.ts";
import { isValidName } from "../../core/names.ts";
import { describeValue } from "../../core/options.ts";
import { InvalidOptionError } from "../../errors.ts";
import { CHANNEL_KINDS, type Channel } from "./channel.ts";
import { type EmailChannelOptions, emailChannel } from "./email.ts";
import { type PagerDutyChannelOptions, pagerDutyChannel } from "./pagerduty.ts";
import { type SlackChannelOptions, slackChannel } from "./slack.ts";
import { type WebhookChannelOptions, webhookChannel } from "./webhook.ts";

/** What the config's `alerts.channels` (and `createTickflow({ channels })`) accepts per channel. */
export type ChannelOptions =
  | WebhookChannelOptions
  | SlackChannelOptions
  | EmailChannelOptions
  | PagerDutyChannelOptions;

const KNOWN: Record<Channel["kind"], readonly string[]> = {
  webhook: ["kind", "url", "secret", "headers"],
  slack: ["kind", "url"],
  email: ["kind", "smtp", "from", "to"],
  pagerduty: ["kind", "routingKey", "url", "severity"],
};

/**
 * Validates one channel's options and builds it. Secrets (`{ env: "NAME" }`) are read from `env`
 * now, so a missing one stops startup instead of failing the first delivery.
 */
export function defineChannel(
  name: string,
  options: unknown,
  env: Record<string, string | undefined>,
): Channel {
  if (!isValidName(name)) {
    throw new InvalidOptionError(`channel "${name}": names are letters, digits, _ - . (1–64)`);
  }
  if (typeof options !== "object" || options === null) {
    throw new InvalidOptionError(
      `channel "${name}": expected an object with a kind, got ${describeValue(options)}`,
    );
  }
  const kind = (options as { kind?: unknown }).kind;
  if (typeof kind !== "string" || !(CHANNEL_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidOptionError(
      `channel "${name}": kind must be one of ${CHANNEL_KINDS.join(", ")}, got ${describeValue(kind)}${hint(didYouMean(String(kind), CHANNEL_KINDS))}`,
    );
  }
  const known = KNOWN[kind as Channel["kind"]];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(
        `channel "${name}": unknown option "${key}"${hint(didYouMean(key, known))}`,
      );
    }
  }
  switch (kind as Channel["kind"]) {
    case "webhook":
      return webhookChannel(name, options as WebhookChannelOptions, env);
    case "slack":
      return slackChannel(name, options as SlackChannelOptions, env);
    case "email":
      return emailChannel(name, options as EmailChannelOptions, env);
    case "pagerduty":
      return pagerDutyChannel(name, options as PagerDutyChannelOptions, env);
  }
}

const hint = (near: string | undefined) => (near ? ` (did you mean "${near}"?)` : "");
