import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';

type JsonSchema = Record<string, unknown>;

/** Keywords that only describe or validate a value: a serializer writes the same bytes without them. */
const ANNOTATIONS = new Set([
  '$schema',
  'id',
  'title',
  'description',
  'example',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
]);

const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

/**
 * The plain JSON Schema that fast-json-stringify compiles into the same bytes as `JSON.stringify` of the Zod
 * schema's output: objects of named properties, arrays, scalars and nullable scalars, with `$ref`s inlined.
 * Undefined for anything else (unions, records, enums, transforms…), which keeps the Zod serializer.
 */
function plainSchema(node: unknown, defs: Record<string, unknown>, depth = 0): JsonSchema | undefined {
  if (depth > 32 || node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
  const s = node as JsonSchema;
  if (typeof s.$ref === 'string') {
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
    return name === undefined ? undefined : plainSchema(defs[name], defs, depth + 1);
  }
  const keys = Object.keys(s).filter((k) => !ANNOTATIONS.has(k) && k !== '$defs');
  // A nullable scalar: Zod writes `anyOf: [{ type: X }, { type: 'null' }]`, fast-json-stringify's fast form is a
  // type list.
  if (keys.length === 1 && Array.isArray(s.anyOf) && s.anyOf.length === 2) {
    const [a, b] = s.anyOf.map((x) => plainSchema(x, defs, depth + 1));
    const other = b?.type === 'null' ? a : a?.type === 'null' ? b : undefined;
    if (other === undefined || typeof other.type !== 'string' || !SCALARS.has(other.type)) return undefined;
    if (Object.keys(other).length !== 1) return undefined;
    return { type: [other.type, 'null'] };
  }
  const type = s.type;
  if (Array.isArray(type)) {
    if (keys.length !== 1 || !type.every((t) => typeof t === 'string' && SCALARS.has(t))) return undefined;
    return { type: [...(type as string[])] };
  }
  if (typeof type !== 'string') return undefined;
  if (SCALARS.has(type)) return keys.length === 1 ? { type } : undefined;
  if (type === 'array') {
    if (keys.some((k) => k !== 'type' && k !== 'items')) return undefined;
    const items = plainSchema(s.items, defs, depth + 1);
    return items && { type, items };
  }
  if (type === 'object') {
    if (keys.some((k) => !['type', 'properties', 'required', 'additionalProperties'].includes(k)))
      return undefined;
    if (s.additionalProperties !== false) return undefined;
    const properties: Record<string, JsonSchema> = {};
    for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
      const p = plainSchema(prop, defs, depth + 1);
      if (p === undefined) return undefined;
      properties[name] = p;
    }
    return { type, properties, required: [...((s.required as string[] | undefined) ?? [])] };
  }
  return undefined;
}

/** fast-json-stringify's serializer for a Zod schema, when it writes exactly what the Zod serializer writes. */
export function compileFastSerializer(schema: z.ZodType): ((data: unknown) => string) | undefined {
  let json: JsonSchema;
  try {
    json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' });
  } catch {
    return undefined;
  }
  const plain = plainSchema(json, (json.$defs ?? {}) as Record<string, unknown>);
  return plain && fastJson(plain);
}

/**
 * Response serialization: a compiled fast-json-stringify function where the response schema is plain data (the
 * common case: objects, arrays, strings, numbers, nullable fields), otherwise the Zod serializer (validate, then
 * `JSON.stringify`). Both write the schema's properties only, in the schema's order.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const schema = route.schema;
  if (schema instanceof z.ZodType) {
    const fast = compileFastSerializer(schema);
    if (fast) return fast;
  }
  return zodSerializerCompiler(route);
};
