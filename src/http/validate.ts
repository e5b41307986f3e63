import type { z } from "zod";
import { InvalidOptionError } from "../errors.ts";

/** Parses request input with a zod schema; a failure is a 400 naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field =
      issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : where);
    return `${where} ${field}: ${issue.message}`;
  });
  throw new InvalidOptionError(problems.join("; "));
}
