/**
 * Every configuration option and environment variable, with its default, type and validation
 * rule, as a user reads them. It is the one source of `tickflow init`'s `tickflow.config.ts` and
 * `.env.example` and of docs/configuration.md; test/docs/config-docs.test.ts checks it against
 * the config schema (src/config/schema.ts, http-schema.ts) and the environment variables the code
 * reads (src/config/load.ts), so neither can drift from the other.
 */
import { LIVENESS_OPTIONS } from "./config-reference-liveness.ts";

export interface ConfigOption {
  /** The key in `defineConfig({…})`, dotted for nested ones (`log.level`, `http.port`). */
  key: string;
  /** The environment variable that sets it (and wins over the file). */
  env?: string;
  /** The type as written in the file. */
  type: string;
  /**
   * TypeScript source of the default, written as the option's line in `tickflow.config.ts`.
   * Absent when the option is unset by default (then `example` is written, commented out).
   */
  default?: string;
  /** For options unset by default: an example value (TypeScript source). */
  example?: string;
  /** The default in words, for the docs (e.g. "all queues", "pretty on a TTY, else json"). */
  defaultText?: string;
  /** The environment variable's default, as written in `.env.example` (default: from `default`). */
  envDefault?: string;
  /** How the environment variable is written, when it differs from the file's value. */
  envFormat?: string;
  /** What is accepted; anything else stops startup with a message naming the key. */
  rule: string;
  /** What it does (one or two sentences). */
  description: string;
}

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    key: "database",
    env: "TICKFLOW_DATABASE_URL",
    type: "string",
    default: '"sqlite:./tickflow.db"',
    rule: "`sqlite:<path>` (relative to the working directory; `sqlite::memory:` for tests) or `postgres://user:password@host:5432/db` (`postgresql://` too, any `pg` connection string)",
    description:
      "Where jobs, schedules, flows and runs are stored. SQLite needs no setup; PostgreSQL lets processes on many machines share the work.",
  },
  {
    key: "concurrency",
    env: "TICKFLOW_CONCURRENCY",
    type: "number",
    default: "10",
    rule: "an integer from 1 to 1000",
    description: "Jobs one process runs at once (also sizes its PostgreSQL pool: min(concurrency, 10) + 2).",
  },
  {
    key: "prefetch",
    env: "TICKFLOW_PREFETCH",
    type: "number",
    defaultText: "equal to `concurrency`",
    rule: "an integer from 0 to 10000",
    description:
      "Jobs a worker claims ahead of its free slots and holds leased, so a freed slot starts the next job without a round trip. 0 turns it off (long jobs, strict priority order). See operations.md, scaling out.",
  },
  {
    key: "queues",
    env: "TICKFLOW_QUEUES",
    type: "string[]",
    example: '["default", "reports"]',
    defaultText: "all queues",
    envFormat: "comma-separated, e.g. `default,reports`",
    rule: 'at least one queue name; names use 1–64 letters, digits, "_", "-" or "."',
    description: "The queues this process works. `tickflow worker --queues a,b` sets it per process.",
  },
  {
    key: "lease",
    env: "TICKFLOW_LEASE",
    type: "string | number",
    default: '"30s"',
    rule: 'a duration (`"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"`, or milliseconds) from 1s to 2147483647ms (about 24.9 days, the longest timer)',
    description:
      "How long a claim holds a job; the running worker renews it every third of it. A job whose worker died runs again after its lease expires.",
  },
  {
    key: "pollInterval",
    env: "TICKFLOW_POLL_INTERVAL",
    type: "string | number",
    default: '"1s"',
    rule: "a duration from 10ms to 2147483647ms (about 24.9 days, the longest timer)",
    description:
      "Idle polling floor: the longest an idle worker waits for work it was not told about (an enqueue in any process wakes it at once — NOTIFY on PostgreSQL, wake sockets beside the file on SQLite — so the poll only covers a lost hint).",
  },
  {
    key: "shutdownGrace",
    env: "TICKFLOW_SHUTDOWN_GRACE",
    type: "string | number",
    default: '"10s"',
    rule: "a duration up to 2147483647ms (about 24.9 days); 0 aborts running jobs at once",
    description:
      "At SIGINT/SIGTERM, the time running jobs get to finish before they are aborted and released for another worker.",
  },
  {
    key: "retention",
    env: "TICKFLOW_RETENTION",
    type: 'string | number | "forever"',
    default: '"7d"',
    rule: 'a duration of at least 1m, or `"forever"`',
    description: "How long finished jobs and their attempt history are kept.",
  },
  {
    key: "log.level",
    env: "LOG_LEVEL",
    type: "string",
    default: '"info"',
    rule: "`trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent` (any case in the environment)",
    description: "The lowest level logged.",
  },
  {
    key: "log.format",
    env: "LOG_FORMAT",
    type: "string",
    example: '"json"',
    defaultText: "`pretty` on a TTY, else `json`",
    rule: "`json` (pino JSON lines) or `pretty`",
    description: "How log lines are written (to stdout).",
  },
  {
    key: "scheduler",
    type: "boolean",
    default: "true",
    rule: "a boolean",
    description:
      "Run the internal scheduler in `tickflow start`. `false` (or `tickflow start --no-scheduler`): nothing in this process fires schedules, and an external cron calling `POST /heartbeat` drives the flows alone.",
  },
  {
    key: "http.enabled",
    type: "boolean",
    default: "true",
    rule: "a boolean",
    description: "Serve HTTP from `tickflow start` (never from `tickflow worker`).",
  },
  {
    key: "http.host",
    env: "TICKFLOW_HOST",
    type: "string",
    default: '"127.0.0.1"',
    rule: "a host name or address to listen on",
    description: "Loopback by default: reachable from this machine only until you choose otherwise.",
  },
  {
    key: "http.port",
    env: "TICKFLOW_PORT",
    type: "number",
    default: "7070",
    rule: "an integer from 0 to 65535 (0 picks a free port)",
    description: "The HTTP port.",
  },
  {
    key: "http.tokens",
    env: "TICKFLOW_TOKEN",
    type: "string[]",
    default: "[]",
    envDefault: "",
    envFormat: "comma-separated; several at once for rotation, e.g. `new,old`",
    rule: "each token at least 16 characters (generate one with `openssl rand -base64 32`)",
    description: "Bearer tokens. With none, every route but `/health` answers 401.",
  },
  {
    key: "http.allowedIps",
    env: "TICKFLOW_ALLOWED_IPS",
    type: "string[]",
    default: "[]",
    envDefault: "",
    envFormat: "comma-separated, e.g. `10.0.0.0/8,192.168.1.7`",
    rule: "canonical IPv4 (`10.0.0.0/8`, no leading zeros, octal, hex or short forms) or IPv6 addresses or CIDR ranges; a list of only blank entries is refused",
    description: "Only these peers may connect (403 otherwise); empty (unset) allows any.",
  },
  {
    key: "http.trustedProxies",
    env: "TICKFLOW_TRUSTED_PROXIES",
    type: "string[]",
    default: "[]",
    envDefault: "",
    envFormat: "comma-separated addresses or CIDR ranges",
    rule: "canonical IPv4 or IPv6 addresses or CIDR ranges, as for `http.allowedIps`",
    description: "Peers whose `X-Forwarded-For` is believed (read right to left); empty ignores the header.",
  },
  {
    key: "http.metricsPublic",
    env: "TICKFLOW_METRICS_PUBLIC",
    type: "boolean",
    default: "false",
    envDefault: "0",
    envFormat: "`1`, `true`, `yes` or `on` turn it on",
    rule: "a boolean",
    description: "Serve `/metrics` without a token.",
  },
  {
    key: "http.rateLimit",
    env: "TICKFLOW_RATE_LIMIT",
    type: "{ max: number; window: string | number }",
    default: '{ max: 600, window: "1m" }',
    envDefault: "600/1m",
    envFormat: "`<max>/<window>`, e.g. `600/1m`",
    rule: "`max` an integer of at least 1; `window` a duration of at least 1s",
    description: "Requests per client address per window; beyond it, 429.",
  },
  {
    key: "http.badgeSecret",
    env: "TICKFLOW_BADGE_SECRET",
    type: "string",
    example: '"a-long-random-secret"',
    defaultText: "none: no badge is served",
    rule: "at least 16 characters",
    description:
      "Derives each status badge's own key (`/badge/<kind>/<name>/<key>.svg`, see docs/alerts.md); a secret.",
  },
  {
    key: "jobs",
    type: "JobDefinition[]",
    default: "[]",
    rule: "`defineJob(…)` results",
    description: "Job types this process can run (and enqueue by name).",
  },
  {
    key: "schedules",
    type: "ScheduleDefinition[]",
    default: "[]",
    rule: "`defineSchedule(…)` results",
    description: "Cron, interval and one-off schedules; stored and reconciled at startup.",
  },
  {
    key: "monitors",
    type: "(MonitorDefinition | MonitorOptions)[]",
    default: "[]",
    rule: "`defineMonitor(…)` results or their options, e.g. `{ name, url }`",
    description: "Liveness monitors: an upstream checked on an interval, ONLINE/OFFLINE with hysteresis.",
  },
  {
    key: "alerts",
    type: "{ channels?, rules?, evaluateEvery?, deliveryRetry? }",
    default: "{}",
    rule: "channels by name (webhook, slack, email, pagerduty); rules naming existing channels",
    description: "Alert rules and the channels they notify (docs/alerts.md).",
  },
  {
    key: "checks",
    type: "(CheckDefinition | CheckOptions)[]",
    default: "[]",
    rule: "`defineCheck(…)` results or their options, e.g. `{ key, every, grace }`",
    description:
      "Check-ins: work tickflow does not run pings `/ping/<token>`; down when a ping is overdue (docs/alerts.md).",
  },
  {
    key: "flows",
    type: "FlowDefinition[]",
    default: "[]",
    rule: "`defineFlow(…)` results",
    description: "Data flows defined in code, in addition to those of the flows folder.",
  },
  {
    key: "limits",
    type: "LimitOptions[]",
    default: "[]",
    rule: "`{ queue | type, concurrency?, perKey?, rate?: { limit, period, perKey? } }` objects",
    description:
      "Cluster-wide limits on starting jobs (docs/limits.md): at most `concurrency` running per queue or type, `perKey` per concurrency key, `rate.limit` starts per `rate.period`. Every process that works the limited jobs must declare the same limits.",
  },
  {
    key: "flowsDir",
    env: "TICKFLOW_FLOWS_DIR",
    type: "string",
    example: '"./flows"',
    defaultText: "`./flows`, when it exists",
    rule: "a folder (a folder named here must exist)",
    description:
      "The flows folder, relative to the working directory: every `.ts`/`.mts`/`.js`/`.mjs` file in it (not `*.test.*`, `*.spec.*`, `*.d.ts`, `_*`, `.*`) default-exports `defineFlow(…)` or an array of them.",
  },
  {
    key: "flowRunRetention",
    env: "TICKFLOW_FLOW_RUN_RETENTION",
    type: 'string | number | "forever"',
    default: '"30d"',
    rule: 'a duration of at least 1m, or `"forever"`',
    description: "How long finished flow runs are kept.",
  },
  {
    key: "flowRunsKept",
    type: "number",
    default: "1000",
    rule: "an integer of at least 1",
    description: "At most this many finished runs are kept per flow (its statistics are computed over them).",
  },
  ...LIVENESS_OPTIONS,
];

/** Environment variables that are not config keys. */
export interface EnvOnlyVariable {
  env: string;
  default: string;
  rule: string;
  description: string;
}

export const ENV_ONLY_VARIABLES: readonly EnvOnlyVariable[] = [
  {
    env: "ENABLE_HEARTBEAT",
    default: "0",
    rule: "`1`, `true`, `yes` or `on`, in any case, turn it on; anything else (unset, empty, `0`) leaves it off",
    description:
      "The diagnostic heartbeat: a cron job every minute and a delayed job 10 s later sharing a UUID, proving both scheduling paths work. The one switch (`isHeartbeatEnabled(env)`); no config key turns it on.",
  },
  {
    env: "TICKFLOW_CONFIG",
    default: "./tickflow.config.ts",
    rule: "a file path (it must exist when named)",
    description: "The config file (`--config` on the command line wins).",
  },
  {
    env: "TICKFLOW_PING_URL",
    default: "none",
    rule: "a check's ping URL, `https://host/ping/<token>` (a secret)",
    description:
      "`tickflow exec` pings this URL over HTTP instead of recording the ping through the configured database (`--url` wins).",
  },
  {
    env: "TICKFLOW_PG_SCHEMA",
    default: "tickflow",
    rule: 'lowercase letters, digits and "_"',
    description:
      "The PostgreSQL schema tickflow's tables live in; several installations can share a database in different schemas.",
  },
];

/** The value `.env.example` shows for an option's environment variable. */
export function envExampleValue(option: ConfigOption): string {
  if (option.envDefault !== undefined) return option.envDefault;
  const source = option.default ?? option.example ?? "";
  if (source.startsWith("[")) {
    return source
      .slice(1, -1)
      .split(",")
      .map((part) => part.trim().replace(/^"|"$/g, ""))
      .filter(Boolean)
      .join(",");
  }
  return source.replace(/^"|"$/g, "");
}
