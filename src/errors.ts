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

/** A flow definition (name, queue, retries, timeout, schedule, run) is invalid. */
export class InvalidFlowError extends TickflowError {
  constructor(message: string) {
    super("INVALID_FLOW", message);
  }
}

/** No stored flow has this name (or it was removed from the code). */
export class UnknownFlowError extends TickflowError {
  constructor(name: string, known: readonly string[]) {
    const list = known.length > 0 ? known.join(", ") : "none";
    super(
      "UNKNOWN_FLOW",
      `unknown flow "${name}": define it with defineFlow and start tickflow so it is stored (known: ${list})`,
    );
  }
}

/** A trigger was refused because the flow has a run pending or in progress (spec §6). */
export class FlowAlreadyRunningError extends TickflowError {
  readonly flow: string;
  readonly runId: string;
  /** When the active run started executing; null while it is still pending. */
  readonly startedAt: number | null;
  constructor(flow: string, runId: string, startedAt: number | null) {
    const since =
      startedAt === null ? "is pending (queued)" : `in progress since ${new Date(startedAt).toISOString()}`;
    super(
      "FLOW_ALREADY_RUNNING",
      `flow "${flow}" is already running: run ${runId} ${since}; wait for it to finish and trigger again`,
    );
    this.flow = flow;
    this.runId = runId;
    this.startedAt = startedAt;
  }
}

/** A trigger for a schedule period was refused: that period already ran (scheduler or heartbeat). */
export class FlowPeriodTakenError extends TickflowError {
  constructor(flow: string, period: number) {
    super(
      "FLOW_PERIOD_TAKEN",
      `flow "${flow}": the period of ${new Date(period).toISOString()} already ran (scheduler or heartbeat); it runs again next period`,
    );
  }
}

/** A trigger was refused because the flow is disabled. */
export class FlowDisabledError extends TickflowError {
  constructor(flow: string) {
    super("FLOW_DISABLED", `flow "${flow}" is disabled: enable it first (tickflow.flows.enable)`);
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

/** A schedule key that is declared in code where a runtime one is asked for, or the reverse. */
export class ScheduleConflictError extends TickflowError {
  constructor(message: string) {
    super("SCHEDULE_CONFLICT", message);
  }
}
