/**
 * Every error tickflow throws on purpose is a TickflowError with a stable `code`.
 * Subclasses exist only where callers branch on them; messages say what to do.
 */
export class TickflowError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class UnknownJobTypeError extends TickflowError {
  constructor(type: string, known: readonly string[]) {
    const list = known.length > 0 ? known.join(", ") : "none";
    super(
      "UNKNOWN_JOB_TYPE",
      `unknown job type "${type}": register it with defineJob first (known: ${list})`,
    );
  }
}

export class InvalidPayloadError extends TickflowError {
  constructor(message: string) {
    super("INVALID_PAYLOAD", message);
  }
}

export class InvalidOptionError extends TickflowError {
  constructor(message: string) {
    super("INVALID_OPTION", message);
  }
}

export class InvalidScheduleError extends TickflowError {
  constructor(message: string) {
    super("INVALID_SCHEDULE", message);
  }
}

export class ConfigError extends TickflowError {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super("INVALID_CONFIG", `invalid configuration: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

export class SchemaTooNewError extends TickflowError {
  constructor(databaseVersion: number, codeVersion: number) {
    super(
      "SCHEMA_TOO_NEW",
      `the database schema is at version ${databaseVersion} but this tickflow knows only up to ${codeVersion}: upgrade tickflow`,
    );
  }
}

export class InvalidTransitionError extends TickflowError {
  constructor(message: string) {
    super("INVALID_TRANSITION", message);
  }
}

export class NotFoundError extends TickflowError {
  constructor(what: string) {
    super("NOT_FOUND", `${what} not found`);
  }
}
