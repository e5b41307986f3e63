import { InvalidScheduleError } from "../errors.ts";
import { isValidName } from "./names.ts";
import { describeValue } from "./options.ts";

/** A schedule's optional metadata: who owns it, which tenant it serves, free labels — all filterable. */
export interface ScheduleMeta {
  owner: string | null;
  tenant: string | null;
  labels: Readonly<Record<string, string>>;
}

export const MAX_LABELS = 32;
const MAX_TEXT = 200;
// Printable text only: a control character in an owner or label would corrupt tables and logs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

function text(value: unknown, what: string, key: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_TEXT || CONTROL.test(value)) {
    throw new InvalidScheduleError(
      `schedule "${key}": ${what} must be a string of 1-${MAX_TEXT} printable characters, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** Validates owner, tenant and labels as given to defineSchedule or schedules.upsert. */
export function parseScheduleMeta(
  options: { owner?: unknown; tenant?: unknown; labels?: unknown },
  key: string,
): ScheduleMeta {
  const owner = text(options.owner, "owner", key);
  const tenant = text(options.tenant, "tenant", key);
  const given = options.labels ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new InvalidScheduleError(
      `schedule "${key}": labels must be an object of name: string, got ${describeValue(given)}`,
    );
  }
  const entries = Object.entries(given as Record<string, unknown>);
  if (entries.length > MAX_LABELS)
    throw new InvalidScheduleError(`schedule "${key}": at most ${MAX_LABELS} labels, got ${entries.length}`);
  const labels: Record<string, string> = {};
  for (const [name, value] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!isValidName(name)) {
      throw new InvalidScheduleError(
        `schedule "${key}": label name ${JSON.stringify(name)} is not valid: use 1-64 letters, digits, "_", "-" or "."`,
      );
    }
    if (value === null || value === undefined)
      throw new InvalidScheduleError(`schedule "${key}": label "${name}" needs a string value`);
    labels[name] = text(value, `label "${name}"`, key)!;
  }
  return { owner, tenant, labels };
}
