import type { FastifyInstance } from "fastify";
import { isValidName } from "../../core/names.ts";
import { InvalidOptionError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import type { Tickflow } from "../../tickflow.ts";
import { BASE } from "../layout.ts";
import { registerAction, required } from "./actions.ts";

type Form = Record<string, string>;
const path = (key: string) => `${BASE}/schedules/${encodeURIComponent(key)}`;
const filled = (value: string | undefined) =>
  value === undefined || value.trim() === "" ? undefined : value.trim();

/** The edit form as upsert options: blank fields are absent; payload and labels are parsed, one clear line if not. */
export function formToUpsert(key: string, form: Form): Parameters<Tickflow["schedules"]["upsert"]>[0] {
  let payload: unknown;
  const payloadText = filled(form.payload);
  if (payloadText !== undefined) {
    try {
      payload = JSON.parse(payloadText);
    } catch {
      throw new InvalidOptionError(`schedule "${key}": the payload is not valid JSON`);
    }
  }
  const labels: Record<string, string> = {};
  for (const pair of (form.labels ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new InvalidOptionError(`schedule "${key}": labels must be name=value, got "${pair}"`);
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  const options: Record<string, unknown> = { key, job: form.job ?? "", labels };
  for (const field of ["cron", "timezone", "every", "at", "misfire", "overlap", "owner", "tenant"] as const) {
    const value = filled(form[field]);
    if (value !== undefined) options[field] = value;
  }
  if (payload !== undefined) options.payload = payload;
  return options as unknown as Parameters<Tickflow["schedules"]["upsert"]>[0];
}

/** Edit and delete of runtime schedules: CSRF-checked actions like every dashboard action. */
export function registerScheduleEditRoutes(dash: FastifyInstance, tickflow: Tickflow, logger: Logger): void {
  const scheduleKey = (p: Form) => required(p, "key", isValidName, "schedule");
  const back = (p: Form) => (isValidName(p.key ?? "") ? path(p.key!) : `${BASE}/schedules`);
  registerAction(
    dash,
    logger,
    "/schedules/:key/edit",
    async (p, form) => {
      const key = scheduleKey(p);
      const result = await tickflow.schedules.upsert(formToUpsert(key, form));
      const what = result.status === "unchanged" ? "is unchanged" : `is saved (${result.changed.join(", ")})`;
      return { to: path(key), text: `Schedule ${key} ${what}.` };
    },
    back,
  );
  registerAction(
    dash,
    logger,
    "/schedules/:key/delete",
    async (p) => {
      const key = scheduleKey(p);
      await tickflow.schedules.remove(key);
      return { to: `${BASE}/schedules`, text: `Schedule ${key} is deleted; its tick history stays.` };
    },
    back,
  );
}
