import { baselineOf } from "./adapters/index.ts";

/** One measured cell: a library in a config, in one scenario (and variant), over its rounds. */
export interface Cell {
  scenario: string;
  /** e.g. "10000 future rows", "4 processes"; "" when the scenario has one shape. */
  variant: string;
  lib: string;
  name: string;
  config: string;
  /** Every round's metrics; medians are taken per metric. */
  rounds: Record<string, number>[];
  /** Why there is no figure (skipped or failed), if there is none. */
  missing?: string;
}

/** Each scenario's headline metrics, their unit and which way is better. */
export const COLUMNS: Record<
  string,
  { key: string; label: string; better: "higher" | "lower"; digits: number }[]
> = {
  processed: [{ key: "jobsPerSec", label: "jobs/s", better: "higher", digits: 0 }],
  bulk: [{ key: "jobsPerSec", label: "jobs/s", better: "higher", digits: 0 }],
  "pickup-same": [
    { key: "p50", label: "p50 ms", better: "lower", digits: 2 },
    { key: "p99", label: "p99 ms", better: "lower", digits: 2 },
  ],
  "pickup-cross": [
    { key: "p50", label: "p50 ms", better: "lower", digits: 2 },
    { key: "p99", label: "p99 ms", better: "lower", digits: 2 },
  ],
  delayed: [
    { key: "p50", label: "late p50 ms", better: "lower", digits: 1 },
    { key: "p99", label: "late p99 ms", better: "lower", digits: 1 },
  ],
  "idle-rss": [{ key: "aboveBareMb", label: "MB above bare", better: "lower", digits: 1 }],
  "claim-cost": [
    { key: "jobsPerSec", label: "jobs/s", better: "higher", digits: 0 },
    { key: "pickupP50", label: "cross pickup p50 ms", better: "lower", digits: 2 },
  ],
  scaling: [
    { key: "jobsPerSec", label: "jobs/s", better: "higher", digits: 0 },
    { key: "exactlyOnce", label: "exactly once", better: "higher", digits: 0 },
  ],
};

export const TITLES: Record<string, string> = {
  processed: "Processed jobs/s (backlog enqueued first, concurrency 10, no-op handler)",
  bulk: "Bulk enqueue jobs/s (chunks of 1 000 in the library's bulk call)",
  "pickup-same": "Pickup latency, enqueue in the same process (idle workers, 50 jobs/s)",
  "pickup-cross": "Pickup latency, enqueue in another process (idle workers, 50 jobs/s)",
  delayed: "Delayed-job lateness (due 0.3–2 s ahead; handler time − due time)",
  "idle-rss": "Idle RSS with workers started, above the bare runner (node + tsx, no library)",
  "claim-cost": "Claim cost with rows waiting in the future (processed jobs/s, cross-process pickup)",
  scaling: "PostgreSQL scaling: worker processes of 10 each draining one backlog",
};

export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of a metric over the rounds; exactly-once holds only if it held in every round. */
export function medianOf(cell: Cell, key: string): number {
  const values = cell.rounds.map((r) => r[key] ?? Number.NaN);
  if (key !== "exactlyOnce") return median(values);
  const checked = values.filter(Number.isFinite);
  return checked.length === 0 ? Number.NaN : Math.min(...checked);
}

function format(value: number, digits: number, key = ""): string {
  if (!Number.isFinite(value)) return "n/a";
  if (key === "exactlyOnce") return value === 1 ? "yes" : "NO";
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function rangeOf(cell: Cell, key: string, digits: number): string {
  const values = cell.rounds.map((r) => r[key]).filter((v): v is number => Number.isFinite(v));
  if (values.length < 2) return "";
  return ` (${format(Math.min(...values), digits)}–${format(Math.max(...values), digits)})`;
}

/** The tickflow cell a cell is compared with: same scenario, variant and config (default if none). */
function baselineCell(cells: readonly Cell[], cell: Cell): Cell | undefined {
  const lib = baselineOf(cell.lib);
  const same = (c: Cell) => c.scenario === cell.scenario && c.variant === cell.variant && c.lib === lib;
  return (
    cells.find((c) => same(c) && c.config === cell.config) ??
    cells.find((c) => same(c) && c.config === "default")
  );
}

/** Markdown tables, one per scenario (and variant), each figure with its ratio to tickflow. */
export function markdownTables(cells: readonly Cell[]): string {
  const out: string[] = [];
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  for (const scenario of scenarios) {
    const columns = COLUMNS[scenario]!;
    const headline = columns[0]!;
    out.push(`### ${TITLES[scenario] ?? scenario}`, "");
    out.push(
      `| library | config | ${columns.map((c) => c.label).join(" | ")} | ${headline.label} ÷ tickflow |`,
      `|---|---|${columns.map(() => "---:").join("|")}|---:|`,
    );
    const variants = [...new Set(cells.filter((c) => c.scenario === scenario).map((c) => c.variant))];
    for (const variant of variants) {
      if (variant) out.push(`| **${variant}** | | ${columns.map(() => "").join(" | ")} | |`);
      for (const cell of cells.filter((c) => c.scenario === scenario && c.variant === variant)) {
        if (cell.missing) {
          out.push(
            `| ${cell.name} | ${cell.config} | ${columns.map(() => "—").join(" | ")} | ${cell.missing} |`,
          );
          continue;
        }
        const capped = cell.rounds.some((r) => r.capped === 1) ? " ⏱" : "";
        const figures = columns.map(
          (c, i) =>
            `${format(medianOf(cell, c.key), c.digits, c.key)}${c.key === "exactlyOnce" ? "" : rangeOf(cell, c.key, c.digits)}${i === 0 ? capped : ""}`,
        );
        const base = baselineCell(cells, cell);
        const ratio =
          base && base !== cell ? medianOf(cell, headline.key) / medianOf(base, headline.key) : Number.NaN;
        const ratioText =
          cell.lib === "bare"
            ? "—"
            : base === cell
              ? "1"
              : Number.isFinite(ratio)
                ? `${format(ratio, 2)}×`
                : "—";
        out.push(`| ${cell.name} | ${cell.config} | ${figures.join(" | ")} | ${ratioText} |`);
      }
    }
    out.push("");
  }
  if (cells.some((c) => c.rounds.some((r) => r.capped === 1)))
    out.push("⏱ ran out of its time budget before the backlog was done: the rate over the jobs it ran.", "");
  return out.join("\n");
}

/** A horizontal bar chart (SVG, no external assets) of one scenario's headline metric. */
export function svgChart(cells: readonly Cell[], scenario: string, title: string): string {
  const column = COLUMNS[scenario]![0]!;
  const rows = cells
    .filter((c) => c.scenario === scenario && !c.missing && c.variant === "")
    .map((c) => ({
      label: `${c.name} · ${c.config}`,
      value: medianOf(c, column.key),
      tickflow: c.lib.startsWith("tickflow"),
    }))
    .filter((r) => Number.isFinite(r.value));
  const max = Math.max(1, ...rows.map((r) => r.value));
  const barHeight = 22;
  const labelWidth = 260;
  const chartWidth = 420;
  const height = 40 + rows.length * (barHeight + 6);
  const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const bars = rows.map((r, i) => {
    const y = 32 + i * (barHeight + 6);
    const width = Math.max(1, Math.round((r.value / max) * chartWidth));
    const fill = r.tickflow ? "#2f6fdd" : "#9aa4b2";
    return [
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${xml(r.label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${width}" height="${barHeight}" fill="${fill}"/>`,
      `<text x="${labelWidth + width + 6}" y="${y + 15}">${format(r.value, column.digits)}</text>`,
    ].join("");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 90}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${xml(title)}: ${rows.map((r) => `${xml(r.label)} ${format(r.value, column.digits)}`).join("; ")}</title>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="8" y="18" font-size="14" font-weight="bold">${xml(title)} (${column.label}, ${column.better} is better)</text>`,
    ...bars,
    "</svg>",
    "",
  ].join("\n");
}
