import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { apiSchemas } from "./api-schemas.ts";

/**
 * openapi.json from the routes' own schemas: each /api/v1 route is registered with `doc({ … })` —
 * its summary, its path, query and body schemas (the zod schemas it parses its input with) and
 * its response schemas (api-schemas.ts) — and the document is built from what was registered, so
 * it cannot list a route that does not exist or miss one that does (test/http/openapi.test.ts).
 */
export interface RouteDoc {
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answers: status → body schema (null: no body, as for 204). */
  responses: Record<number, z.ZodType | null>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route's OpenAPI description (routes under /api/v1). */
    openapi?: RouteDoc;
  }
}

/** Route options that document a route: `api.get("/jobs", doc({ … }), handler)`. */
export const doc = (route: RouteDoc) => ({ config: { openapi: route } });

export interface DocumentedRoute extends RouteDoc {
  method: string;
  /** The path below /api/v1, in OpenAPI's form (`/jobs/{id}`). */
  path: string;
}

/** Collects the documented routes of `api` as they are registered (call before registering them). */
export function collectRoutes(api: FastifyInstance): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  api.addHook("onRoute", (route) => {
    const spec = route.config?.openapi;
    if (!spec) return;
    const below = route.url.slice(route.prefix.length) || "/";
    for (const method of [route.method].flat()) {
      if (method === "HEAD") continue;
      routes.push({ ...spec, method: method.toLowerCase(), path: below.replace(/:(\w+)/g, "{$1}") });
    }
  });
  return routes;
}

const ERRORS: Record<string, string> = {
  "400": "invalid input; the message names each bad field",
  "401": "missing or invalid bearer token",
  "403": "address not allowed",
  "404": "not found",
  "409": "conflicts with the current state (e.g. a flow run already active)",
  "429": "rate limited",
};

/** JSON Schema of `schema`, its named parts as references to components/schemas. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", metadata: apiSchemas }) as Record<
    string,
    unknown
  >;
  delete out.$schema;
  delete out.$defs;
  return JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/'));
}

function parameters(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const object = jsonSchema(schema, "input") as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (object.required ?? []).includes(name),
    schema: property,
  }));
}

function operation(route: DocumentedRoute) {
  const json = (schema: z.ZodType, io: "input" | "output") => ({
    "application/json": { schema: jsonSchema(schema, io) },
  });
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.responses))
    responses[status] = schema
      ? { description: "OK", content: json(schema, "output") }
      : { description: "No content" };
  for (const [status, description] of Object.entries(ERRORS))
    responses[status] = {
      description,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    };
  return {
    summary: route.summary,
    parameters: [...parameters(route.params, "path"), ...parameters(route.query, "query")],
    ...(route.body ? { requestBody: { required: true, content: json(route.body, "input") } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of /api/v1 (under `base`, where the API is served). */
export function openApiDocument(
  routes: readonly DocumentedRoute[],
  base = "/api/v1",
): Record<string, unknown> {
  const components = z.toJSONSchema(apiSchemas, {
    io: "output",
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, Record<string, unknown>>;
  for (const schema of Object.values(components)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: { title: "tickflow API", version: "1" },
    servers: [{ url: base }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } }, schemas: components },
    paths,
  };
}
