import { InvalidOptionError } from "../errors.ts";

/** Letters, digits, `_`, `-`, `.`; 1–64 characters. Shared by queues, flows, job types and schedule keys. */
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

export function isValidName(name: unknown): name is string {
  return typeof name === "string" && NAME_RE.test(name);
}

/** Throws an error naming `what` (e.g. "queue") and the offending value. */
export function validateName(name: unknown, what: string): string {
  if (!isValidName(name)) {
    throw new InvalidOptionError(
      `invalid ${what} name ${JSON.stringify(name)}: use 1-64 letters, digits, "_", "-" or "."`,
    );
  }
  return name;
}

export const validateQueueName = (name: unknown): string => validateName(name, "queue");
export const validateFlowName = (name: unknown): string => validateName(name, "flow");
