import { z } from 'zod';
import { fractionMicros } from '../db/timestamptz.js';

const INT_RE = /^\s*[-+]?\d+(\.0*)?\s*$/;
const BOOL_TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const BOOL_FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

export const INT32_MAX = 2_147_483_647;

/** Ids are serial int4 values from 1: an id outside that type can name no row, so it is looked up as this one. */
const NO_SUCH_ID = 0;

/**
 * An integer that also accepts a numeric string ("5", "5.0"), as Pydantic's lax mode does.
 * Without bounds it is an id: any integer is accepted, and one beyond the database's int4 simply finds nothing
 * (contract §1.1: unknown ids are "not found"), instead of failing in PostgreSQL.
 */
export function laxInt(opts: { min?: number; max?: number } = {}) {
  const isId = opts.min === undefined && opts.max === undefined;
  const min = opts.min ?? (isId ? -Number.MAX_SAFE_INTEGER : -INT32_MAX - 1);
  const max = opts.max ?? (isId ? Number.MAX_SAFE_INTEGER : INT32_MAX);
  // z.number() + our own integer check rather than z.int(), whose safe-integer bound would add a second issue.
  const inner = z
    .number()
    .min(min)
    .max(max)
    .refine(Number.isInteger, {
      params: {
        pydantic: {
          type: 'int_from_float',
          msg: 'Input should be a valid integer, got a number with a fractional part',
        },
      },
    })
    .transform((v) => (isId && (v > INT32_MAX || v < -INT32_MAX - 1) ? NO_SUCH_ID : v));
  return z
    .preprocess((v) => (typeof v === 'string' && INT_RE.test(v) ? Number(v) : v), inner)
    .meta({
      type: 'integer',
      ...(opts.min !== undefined && { minimum: opts.min }),
      ...(opts.max !== undefined && { maximum: opts.max }),
    });
}

/** A boolean that also accepts the usual string forms (query strings). */
export function laxBool() {
  return z
    .preprocess((v) => {
      if (v === 0 || v === 1) return v === 1;
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (BOOL_TRUE.has(s)) return true;
      if (BOOL_FALSE.has(s)) return false;
      return v;
    }, z.boolean())
    .meta({ type: 'boolean' });
}

/** Path parameter `{name}`: an integer id, with its OpenAPI description. */
export const idParams = <K extends string>(name: K, description: string) => {
  const schema = z.object({ [name]: laxInt().meta({ description }) } as Record<K, ReturnType<typeof laxInt>>);
  idParamNames.set(schema, name);
  return schema;
};

/** The parameter name of each idParams schema (the validator's fast path for a plain id, see idFastPath). */
const idParamNames = new WeakMap<object, string>();
/** A plain decimal id below 10^9: what laxInt reads as exactly Number(s), with no issue and no mapping. */
const PLAIN_ID = /^[1-9][0-9]{0,8}$/;

/**
 * For an idParams schema, a check that answers a plain id (`/books/42`) without running Zod (about 1.5 µs and its
 * garbage per request on every id route), with the value Zod would give; anything else (signs, spaces, "5.0",
 * zero, huge or missing ids) returns undefined and goes to the schema for its answer or its 422.
 */
export function idFastPath(schema: object): ((data: unknown) => { value: unknown } | undefined) | undefined {
  const name = idParamNames.get(schema);
  if (name === undefined) return undefined;
  return (data) => {
    const raw = (data as Record<string, unknown> | null)?.[name];
    return typeof raw === 'string' && PLAIN_ID.test(raw) ? { value: { [name]: Number(raw) } } : undefined;
  };
}

/** Money on the wire: a decimal string with two places ("12.50"). */
export const money = z.string().meta({ description: 'Decimal amount with two places', example: '12.99' });

/** Datetime on the wire: ISO-8601 UTC with `Z`; fractional seconds only when non-zero. */
export const dateTime = z.string().meta({ format: 'date-time', example: '2026-03-01T12:34:56.123456Z' });

export function isoDateTime(d: Date): string;
export function isoDateTime(d: Date | null): string | null;
export function isoDateTime(d: Date | null): string | null {
  if (d === null) return null;
  const seconds = d.toISOString().slice(0, -5);
  const micros = fractionMicros(d);
  return micros === 0 ? `${seconds}Z` : `${seconds}.${String(micros).padStart(6, '0')}Z`;
}

/** Catalog and review pagination: `page` ≥ 1, `size` 1..100. */
export const pageQuery = {
  page: laxInt({ min: 1 }).default(1).meta({ description: 'Page number, from 1' }),
  size: laxInt({ min: 1, max: 100 }).default(20).meta({ description: 'Items per page (1..100)' }),
};

/** Admin lists: `page` ≥ 1, `per_page` 1..100. */
export const adminPageQuery = {
  page: laxInt({ min: 1 }).default(1).meta({ description: 'Page number, from 1' }),
  per_page: laxInt({ min: 1, max: 100 }).default(20).meta({ description: 'Items per page (1..100)' }),
};

export function adminPage<T>(items: T[], totalCount: number, page: number, perPage: number) {
  return {
    items,
    total_count: totalCount,
    page,
    per_page: perPage,
    total_pages: Math.ceil(totalCount / perPage),
  };
}

export const adminPageEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    total_count: z.int(),
    page: z.int(),
    per_page: z.int(),
    total_pages: z.int(),
  });

export const pageEnvelope = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: z.int(), page: z.int(), size: z.int() });

/**
 * The contract's error body `{"detail", "code"[, "field"]}` (some errors add keys, e.g. `existing_review_id`).
 * Error bodies are written as they are (see sendError), so these schemas document them and never reshape them.
 */
export const errorBody = z
  .looseObject({
    detail: z.string().meta({ description: 'What went wrong, for people' }),
    code: z.string().meta({ description: 'Machine-readable error code', example: 'BOOK_NOT_FOUND' }),
    field: z
      .string()
      .optional()
      .meta({ description: 'The input field the error is about, when there is one' }),
  })
  .meta({ id: 'ErrorResponse' });

/** One entry of a 422 body, as Pydantic reports it (`loc` starts with "body", "query", "path" or "header"). */
export const validationError = z
  .looseObject({
    type: z.string().meta({ example: 'missing' }),
    loc: z.array(z.union([z.string(), z.int()])).meta({ example: ['body', 'email'] }),
    msg: z.string().meta({ example: 'Field required' }),
    input: z.unknown().optional(),
    ctx: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ValidationError' });

/** The 422 body: `{"detail": [ValidationError, …], "code": "VALIDATION_ERROR"}`. */
export const httpValidationError = z
  .looseObject({
    detail: z.array(validationError),
    code: z.string().meta({ example: 'VALIDATION_ERROR' }),
  })
  .meta({ id: 'HTTPValidationError' });

/** The documented error responses of a route: ErrorResponse bodies, and HTTPValidationError for a 422. */
export const errorResponses = <S extends number>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((s) => [s, s === 422 ? httpValidationError : errorBody])) as {
    [K in S]: K extends 422 ? typeof httpValidationError : typeof errorBody;
  };
