import { isDeepStrictEqual } from 'node:util';
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * OpenAPI descriptions of this route's responses, by status code. Every success response needs one; the
     * error statuses have shared defaults (ERROR_DESCRIPTIONS) that an entry here replaces.
     */
    responseDescriptions?: Partial<Record<number, string>>;
  }
}

/** What each error status means wherever it is answered; the body is ErrorResponse (422: HTTPValidationError). */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Not authenticated: the bearer token is missing, invalid or expired (`WWW-Authenticate: Bearer`)',
  402: 'Payment declined',
  403: 'Forbidden: the account is deactivated, or it may not do this',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  415: 'Unsupported media type: a JSON body needs `Content-Type: application/json`',
  422: 'Validation error',
  429: 'Too many requests: `Retry-After` says when to try again',
  503: 'Service unavailable',
};

/**
 * Zod → JSON Schema per route (fastify-type-provider-zod), plus a description for every response: the route's
 * own `responseDescriptions`, else the shared one of an error status. A success response without one keeps
 * the "Default Response" of @fastify/swagger, which the OpenAPI test refuses.
 */
export const openapiTransform: SwaggerTransform = (input) => {
  const { responseDescriptions, ...schema } = (input.schema ?? {}) as Record<string, unknown> & {
    responseDescriptions?: Partial<Record<string, string>>;
  };
  const result = jsonSchemaTransform({ ...input, schema });
  const responses = (result.schema as { response?: Record<string, Record<string, unknown>> } | undefined)
    ?.response;
  // @fastify/swagger takes a response's description from its schema's `description` (and drops it beside a $ref).
  for (const [status, response] of Object.entries(responses ?? {})) {
    const own = typeof response.description === 'string' ? response.description : undefined;
    const text = responseDescriptions?.[status] ?? own ?? ERROR_DESCRIPTIONS[Number(status)];
    if (text !== undefined) responses![status] = { ...response, description: text };
  }
  return result;
};

const SCHEMAS = '#/components/schemas/';
const INPUT_SUFFIX = 'Input';

function walk(value: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(value)) {
    for (const entry of value) walk(entry, visit);
  } else if (value !== null && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    visit(node);
    for (const child of Object.values(node)) walk(child, visit);
  }
}

function referencedNames(value: unknown): Set<string> {
  const names = new Set<string>();
  walk(value, (node) => {
    if (typeof node.$ref === 'string' && node.$ref.startsWith(SCHEMAS))
      names.add(node.$ref.slice(SCHEMAS.length));
  });
  return names;
}

/** Names reachable from the operations, following references between components. */
function reachableNames(paths: unknown, schemas: Record<string, unknown>): Set<string> {
  const seen = new Set<string>();
  const queue = [...referencedNames(paths)];
  for (let name = queue.pop(); name !== undefined; name = queue.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...referencedNames(schemas[name]));
  }
  return seen;
}

function renameRefs(value: unknown, renames: Map<string, string>): void {
  walk(value, (node) => {
    if (typeof node.$ref !== 'string' || !node.$ref.startsWith(SCHEMAS)) return;
    const target = renames.get(node.$ref.slice(SCHEMAS.length));
    if (target !== undefined) node.$ref = SCHEMAS + target;
  });
}

/** A schema with its references to `<id>Input` components read as references to `<id>`. */
function outputRefs(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value).replace(/("\$ref":"#\/components\/schemas\/[^"]*?)Input"/g, '$1"'),
  ) as unknown;
}

/**
 * fastify-type-provider-zod emits every schema registered with an id twice: as read from requests (`<id>Input`)
 * and as written in responses (`<id>`). Clients generate types from these names (the reference's FastAPI
 * document has one name per model), so each schema keeps its own name, the side it is not used on is dropped,
 * and only a schema used on both sides with different shapes keeps `<id>Input` for its request side.
 */
export function nameComponentsOnce(document: Record<string, unknown>): Record<string, unknown> {
  const components = (document.components ?? {}) as Record<string, unknown>;
  const schemas = { ...((components.schemas ?? {}) as Record<string, unknown>) };
  const used = reachableNames(document.paths, schemas);
  const renames = new Map<string, string>();
  for (const inputName of Object.keys(schemas)) {
    if (!inputName.endsWith(INPUT_SUFFIX)) continue;
    const name = inputName.slice(0, -INPUT_SUFFIX.length);
    if (!(name in schemas)) continue;
    const usedAsInput = used.has(inputName);
    const usedAsOutput = used.has(name);
    if (usedAsInput && !usedAsOutput) {
      schemas[name] = schemas[inputName];
      renames.set(inputName, name);
    } else if (usedAsInput && !isDeepStrictEqual(outputRefs(schemas[inputName]), schemas[name])) {
      continue;
    } else if (usedAsInput) {
      renames.set(inputName, name);
    }
    delete schemas[inputName];
  }
  renameRefs(document.paths, renames);
  renameRefs(schemas, renames);
  const sorted = Object.fromEntries(
    Object.keys(schemas)
      .sort()
      .map((name) => [name, schemas[name]]),
  );
  return { ...document, components: { ...components, schemas: sorted } };
}

/** The response description copied into an inline response schema by openapiTransform, taken out again. */
function dropCopiedDescriptions(paths: unknown): void {
  for (const operations of Object.values((paths ?? {}) as Record<string, Record<string, unknown>>)) {
    for (const operation of Object.values(operations)) {
      const responses = (operation as { responses?: Record<string, Record<string, unknown>> }).responses;
      for (const response of Object.values(responses ?? {})) {
        const content = (response.content ?? {}) as Record<string, { schema?: Record<string, unknown> }>;
        for (const media of Object.values(content)) {
          if (media.schema?.description === response.description) delete media.schema?.description;
        }
      }
    }
  }
}

/** The whole document: components from Zod's registry (`.meta({ id })`), each under one name. */
export const openapiTransformObject: SwaggerTransformObject = (input) => {
  const document = nameComponentsOnce(jsonSchemaTransformObject(input));
  dropCopiedDescriptions(document.paths);
  return document;
};
