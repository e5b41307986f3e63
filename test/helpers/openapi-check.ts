import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import Fastify from "fastify";
import type { HttpDeps } from "../../src/http/deps.ts";
import { registerApiRoutes } from "../../src/http/routes/api.ts";

/**
 * Every /api/v1 answer a test gets through `call` (test/helpers/http.ts) is checked against
 * tickflow's openapi.json: the response schema of its route and status must accept the body, or
 * the test that made the request fails, naming the route and the field. The document is built
 * once, in this process, from the routes as registered — not fetched, so no check spends a request
 * of a test's rate limit.
 */
type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Doc = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};
type Check = (method: string, path: string, status: number, body: unknown) => void;

let checker: Promise<Check> | undefined;

/** The OpenAPI document of /api/v1, from a Fastify app that only registers the routes. */
export async function apiDocument(): Promise<Doc> {
  const app = Fastify();
  // Registering reads nothing of the dependencies (only the handlers do, and none runs here).
  await app.register(async (api) => registerApiRoutes(api, {} as HttpDeps), { prefix: "/api/v1" });
  const doc = (await app.inject({ method: "GET", url: "/api/v1/openapi.json" })).json() as Doc;
  await app.close();
  return doc;
}

/** Routes whose answers were checked, "get /jobs/{id}" (openapi.test.ts wants every one). */
export const checkedRoutes = new Set<string>();

export async function checkApiAnswer(method: string, path: string, status: number, body: unknown) {
  checker ??= apiDocument().then(checkerFor);
  (await checker)(method, path, status, body);
}

function checkerFor(doc: Doc): Check {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema({ $id: "tickflow-openapi", components: doc.components } as object);
  const routes = Object.entries(doc.paths).flatMap(([template, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method,
      template,
      pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`),
      operation,
    })),
  );
  return (method, path, status, body) => {
    // An error answer in another shape is not tickflow's (an application's own 404 at /api/v1).
    if (status >= 400 && typeof (body as { error?: unknown } | null)?.error !== "object") return;
    const below = path.split("?")[0]!.replace(/^\/api\/v1/, "");
    const route = routes.find((r) => r.method === method.toLowerCase() && r.pattern.test(below));
    if (!route) {
      if (status >= 400) return; // no such route: the 404 (or 400) of the API's own
      throw new Error(`openapi.json has no route ${method} ${below}`);
    }
    const answer = route.operation.responses[String(status)];
    if (!answer) {
      // Limits every route shares (413, 408, 503 while closing) are not listed per route.
      if (status >= 400) return;
      throw new Error(`openapi.json: ${method} ${route.template} does not document status ${status}`);
    }
    const schema = answer.content?.["application/json"]?.schema;
    if (!schema) return;
    const validate = ajv.compile(rebase(schema));
    if (!validate(body)) {
      throw new Error(
        `${method} ${route.template} ${status}: the answer does not match openapi.json: ${ajv.errorsText(validate.errors)}`,
      );
    }
    checkedRoutes.add(`${method.toLowerCase()} ${route.template}`);
  };
}

/** References into components, resolved against the document added above. */
function rebase(schema: object): object {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"tickflow-openapi#/components/'));
}
