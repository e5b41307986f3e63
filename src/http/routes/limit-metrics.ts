import { Gauge, type Registry } from "prom-client";
import type { LimitUsageRow } from "../../store/ports/rows.ts";
import type { HttpDeps } from "../deps.ts";

/**
 * Limit gauges, read from the store at scrape time (the cluster's view): running per limit and
 * per busiest key (at most 50 keys a limit: bounded label cardinality), scope-wide tokens left,
 * due jobs waiting by reason, and disabled types. One usage read serves every gauge of a scrape.
 */
export function registerLimitGauges(registry: Registry, tickflow: HttpDeps["tickflow"]): void {
  let cached: { at: number; rows: Promise<LimitUsageRow[]> } | undefined;
  const usage = () => {
    const now = Date.now();
    if (!cached || now - cached.at > 500) cached = { at: now, rows: tickflow.limits.usage() };
    return cached.rows;
  };
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge, rows: LimitUsageRow[]) => void,
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        this.reset();
        fill(this, await usage());
      },
    });
  gauge("tickflow_limit_running", "Jobs running (leased) under each limit", ["limit"], (g, rows) => {
    for (const r of rows) g.set({ limit: r.name }, r.running);
  });
  gauge(
    "tickflow_limit_max",
    "Each limit's caps: concurrency, per_key, rate (per period)",
    ["limit", "kind"],
    (g, rows) => {
      for (const r of rows) {
        if (r.concurrency !== null) g.set({ limit: r.name, kind: "concurrency" }, r.concurrency);
        if (r.perKey !== null) g.set({ limit: r.name, kind: "per_key" }, r.perKey);
        if (r.rate !== null) g.set({ limit: r.name, kind: "rate" }, r.rate.limit);
      }
    },
  );
  gauge("tickflow_limit_tokens", "Rate tokens left in a limit's scope-wide bucket", ["limit"], (g, rows) => {
    for (const r of rows) if (r.tokens !== null) g.set({ limit: r.name }, r.tokens);
  });
  gauge(
    "tickflow_limit_waiting",
    "Due jobs under a limit not started, by why",
    ["limit", "reason"],
    (g, rows) => {
      for (const r of rows)
        for (const [reason, n] of Object.entries(r.waitingBy)) g.set({ limit: r.name, reason }, n);
    },
  );
  gauge(
    "tickflow_limit_key_running",
    "Jobs running per concurrency key (a limit's 50 busiest)",
    ["limit", "key"],
    (g, rows) => {
      for (const r of rows) for (const k of r.keys) g.set({ limit: r.name, key: k.key }, k.running);
    },
  );
  new Gauge({
    name: "tickflow_type_disabled",
    help: "1 for each job type disabled cluster-wide",
    labelNames: ["type"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const t of await tickflow.limits.disabledTypes()) this.set({ type: t.type }, 1);
    },
  });
}
