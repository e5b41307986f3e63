/** A compact OpenAPI 3.1 description of /api/v1: paths, parameters and the error shape. */
export function openApiDocument(): Record<string, unknown> {
  const error = { $ref: "#/components/schemas/Error" };
  const errors = {
    "400": {
      description: "invalid input; the message names each bad field",
      content: { "application/json": { schema: error } },
    },
    "401": {
      description: "missing or invalid bearer token",
      content: { "application/json": { schema: error } },
    },
    "403": { description: "address not allowed", content: { "application/json": { schema: error } } },
    "404": { description: "not found", content: { "application/json": { schema: error } } },
    "429": { description: "rate limited", content: { "application/json": { schema: error } } },
  };
  const query = (
    name: string,
    description: string,
    schema: Record<string, unknown> = { type: "string" },
  ) => ({
    name,
    in: "query",
    description,
    schema,
  });
  const path = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });
  const op = (summary: string, parameters: unknown[] = []) => ({
    summary,
    parameters,
    responses: { "200": { description: "OK" }, ...errors },
  });
  return {
    openapi: "3.1.0",
    info: { title: "tickflow API", version: "1" },
    servers: [{ url: "/api/v1" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          properties: {
            error: { type: "object", properties: { code: { type: "string" }, message: { type: "string" } } },
          },
        },
      },
    },
    paths: {
      "/queues": { get: op("Job counts by queue and state, with the oldest waiting job's age") },
      "/jobs": {
        get: op("List jobs, newest first", [
          query("queue", "queue name"),
          query("state", "comma-separated states"),
          query("type", "job type"),
          query("limit", "1-500, default 50", { type: "integer" }),
          query("cursor", "nextCursor of the previous page"),
        ]),
      },
      "/jobs/{id}": { get: op("A job with every attempt", [path("id")]) },
      "/jobs/{id}/retry": {
        post: op("Make a discarded, cancelled or waiting job available now", [path("id")]),
      },
      "/jobs/{id}/cancel": { post: op("Cancel a pending or running job", [path("id")]) },
      "/schedules": {
        get: op("Stored schedules with next run and last tick", [
          query("source", "code | runtime"),
          query("owner", "owner"),
          query("tenant", "tenant"),
          query("label", "name:value, repeatable (every pair must match)"),
        ]),
      },
      "/schedules/{key}": {
        get: op("One schedule and its next fire times", [path("key")]),
        put: op(
          "Create or change a runtime schedule (201 created, 200 changed; 409 for a code schedule). Body: job, payload, cron | every | at, timezone, misfire, overlap, grace, tolerance, queue, priority, maxAttempts, timeout, backoff, owner, tenant, labels",
          [path("key")],
        ),
        delete: op("Remove a runtime schedule (409 for a code schedule)", [path("key")]),
      },
      "/schedules/{key}/ticks": {
        get: op("Recent tick decisions: fired, missed, skipped", [
          path("key"),
          query("limit", "1-500", { type: "integer" }),
          query("since", "ISO date-time"),
        ]),
      },
      "/schedules/{key}/pause": { post: op("Pause a schedule", [path("key")]) },
      "/schedules/{key}/resume": { post: op("Resume a schedule", [path("key")]) },
      "/heartbeat": { get: op("Heartbeat pair health with measured delays") },
      "/flows": { get: op("Data flows with last status, next run and run statistics") },
      "/flows/{name}": { get: op("One flow with its recent runs", [path("name")]) },
      "/flows/{name}/trigger": {
        post: op("Trigger a flow now (202; 409 while a run is active)", [path("name")]),
      },
      "/flows/{name}/enable": { post: op("Enable a flow", [path("name")]) },
      "/flows/{name}/disable": { post: op("Disable a flow (pauses its schedule)", [path("name")]) },
      "/runs": {
        get: op("Flow runs, newest first", [
          query("flow", "flow name"),
          query("status", "pending | in_progress | success | failed"),
          query("source", "schedule | manual | heartbeat | api"),
          query("since", "ISO date-time"),
          query("until", "ISO date-time"),
          query("limit", "1-500, default 50", { type: "integer" }),
          query("cursor", "nextCursor of the previous page"),
        ]),
      },
      "/runs/{id}": { get: op("One flow run with its error and stack", [path("id")]) },
      "/monitors": { get: op("Monitor states, counters, last check and last transition") },
      "/monitors/{name}": { get: op("One monitor with its transitions", [path("name")]) },
      ...alertPaths(op, path, query),
      "/limits": { get: op("Limits with usage: running, per key, tokens left, waiting jobs and why") },
      "/types": { get: op("Registered job types and whether each is disabled") },
      "/types/{type}/disable": { post: op("Disable a job type cluster-wide", [path("type")]) },
      "/types/{type}/enable": { post: op("Enable a disabled job type", [path("type")]) },
    },
  };
}

type Op = (summary: string, parameters?: unknown[]) => unknown;

/** Check-ins, incidents, deliveries, silences, channels and rules (issue 21). */
function alertPaths(
  op: Op,
  path: (name: string) => unknown,
  query: (name: string, description: string, schema?: Record<string, unknown>) => unknown,
): Record<string, unknown> {
  return {
    "/checks": { get: op("Check-ins with their state (new, up, late, down), last pings and due times") },
    "/checks/{key}": { get: op("One check-in with its recent pings and their logs", [path("key")]) },
    "/incidents": {
      get: op("Alert incidents, newest first", [
        query("status", "open or resolved"),
        query("limit", "1-500", { type: "integer" }),
      ]),
    },
    "/incidents/{id}": { get: op("One incident with its deliveries and every attempt", [path("id")]) },
    "/deliveries": {
      get: op("Notification deliveries", [
        query("status", "pending, sent, failed or silenced"),
        query("limit", "1-500", { type: "integer" }),
      ]),
    },
    "/silences": {
      get: op("Silences", [query("active", "true: only those in force")]),
      post: op("Silence a rule, a subject or both: { rule?, subject?, until? | for?, reason }"),
    },
    "/silences/{id}": { delete: op("End a silence now", [path("id")]) },
    "/alerts": { get: op("Alert channels (secrets redacted) and rules") },
  };
}
