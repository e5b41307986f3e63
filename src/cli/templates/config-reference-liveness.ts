/**
 * The proof-of-liveness settings (spec §11, docs/liveness.md), in the order the docs list them;
 * typed where config-reference.ts spreads them into CONFIG_OPTIONS (no import back: no cycle).
 */
export const LIVENESS_OPTIONS = [
  {
    key: "systemConcurrency",
    env: "TICKFLOW_SYSTEM_CONCURRENCY",
    type: "number",
    default: "2",
    rule: "an integer from 0 to 100; 0 turns the reserved lane off",
    description:
      "Worker slots reserved for tickflow's own proof-of-liveness work (heartbeat jobs, monitor checks), on top of `concurrency`: user jobs cannot take them, so a queue full of long jobs cannot starve the checks (docs/liveness.md).",
  },
  {
    key: "stallThreshold",
    env: "TICKFLOW_STALL_THRESHOLD",
    type: 'string | number | "off"',
    default: '"1s"',
    rule: 'a duration from 10ms to 2147483647ms, or `"off"` (no watchdog)',
    description:
      "The event-loop watchdog reports a block this long as a stall: a log line naming the job types that were running, `tickflow_event_loop_stalls_total`, and degraded health.",
  },
  {
    key: "stallDegradedFor",
    env: "TICKFLOW_STALL_DEGRADED_FOR",
    type: "string | number",
    default: '"60s"',
    rule: "a duration up to 2147483647ms",
    description: "How long `/health` shows the event loop degraded after a stall ended.",
  },
  {
    key: "failingAfter",
    env: "TICKFLOW_FAILING_AFTER",
    type: "number",
    default: "1",
    rule: "an integer from 1 to 1000",
    description:
      "How many of a schedule's latest runs in a row must have failed for its health to be `failing`.",
  },
  {
    key: "startupGrace",
    env: "TICKFLOW_STARTUP_GRACE",
    type: "string | number",
    default: '"15s"',
    rule: "a duration up to 2147483647ms",
    description:
      "After start, readiness (`/health/ready`) does not fail on a heartbeat that is not ok yet for this long: the heartbeat pair interrupted by the restart gets time to complete.",
  },
  {
    key: "tickRetention",
    env: "TICKFLOW_TICK_RETENTION",
    type: 'string | number | "forever"',
    default: '"30d"',
    rule: 'a duration of at least 1m, or `"forever"`',
    description:
      "How long schedule ticks are kept. They are folded into hourly and daily rollups first, so the dashboard's 24 h / 7 d / 90 d rates outlive them.",
  },
  {
    key: "rollupLag",
    env: "TICKFLOW_ROLLUP_LAG",
    type: "string | number",
    default: '"1h"',
    rule: "a duration up to 1d",
    description:
      "Ticks, job attempts and flow runs are folded into rollups once this old (a tick's job has settled by then); rates lag by this much.",
  },
];
