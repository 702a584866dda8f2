import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { RequestValidationError, type ValidationIssue } from './errors.js';
import { idFastPath } from './schemas.js';

const LOC_PREFIX: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function quoteList(values: readonly unknown[]): string {
  const q = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  if (q.length <= 1) return q.join('');
  return `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** Pydantic's words for a bound that Zod reports as `too_small` (a minimum) or `too_big` (a maximum). */
const BOUNDS = {
  too_small: {
    atWord: 'least',
    lengthKey: 'min_length',
    stringType: 'string_too_short',
    listType: 'too_short',
    exclusive: { type: 'greater_than', words: 'greater than', key: 'gt' },
    inclusive: { type: 'greater_than_equal', words: 'greater than or equal to', key: 'ge' },
  },
  too_big: {
    atWord: 'most',
    lengthKey: 'max_length',
    stringType: 'string_too_long',
    listType: 'too_long',
    exclusive: { type: 'less_than', words: 'less than', key: 'lt' },
    inclusive: { type: 'less_than_equal', words: 'less than or equal to', key: 'le' },
  },
} as const;

/** A length bound of a string or a list, else a bound of a number (exclusive when Zod says `inclusive: false`). */
function boundIssue(
  words: (typeof BOUNDS)[keyof typeof BOUNDS],
  bound: number,
  origin: string,
  inclusive: boolean | undefined,
  input: unknown,
): Omit<ValidationIssue, 'loc'> {
  if (origin === 'string')
    return {
      type: words.stringType,
      msg: `String should have at ${words.atWord} ${plural(bound, 'character')}`,
      input,
      ctx: { [words.lengthKey]: bound },
    };
  if (origin === 'array' || origin === 'set') {
    const actual = Array.isArray(input) ? input.length : 0;
    return {
      type: words.listType,
      msg: `List should have at ${words.atWord} ${plural(bound, 'item')} after validation, not ${actual}`,
      input,
      ctx: { field_type: 'List', [words.lengthKey]: bound, actual_length: actual },
    };
  }
  const comparison = inclusive === false ? words.exclusive : words.inclusive;
  return {
    type: comparison.type,
    msg: `Input should be ${comparison.words} ${bound}`,
    input,
    ctx: { [comparison.key]: bound },
  };
}

/** Maps one Zod issue to Pydantic's error dict (type, msg, ctx), which is what the reference's clients read. */
function toPydantic(issue: z.core.$ZodIssue, input: unknown, parent: unknown): Omit<ValidationIssue, 'loc'> {
  const params = (issue as { params?: { pydantic?: Omit<ValidationIssue, 'loc' | 'input'> } }).params;
  if (params?.pydantic) return { ...params.pydantic, input };

  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined) return { type: 'missing', msg: 'Field required', input: parent ?? null };
      switch (issue.expected) {
        case 'int':
        case 'number':
        case 'bigint':
          if (typeof input === 'number' && !Number.isInteger(input))
            return {
              type: 'int_from_float',
              msg: 'Input should be a valid integer, got a number with a fractional part',
              input,
            };
          if (typeof input === 'string')
            return {
              type: 'int_parsing',
              msg: 'Input should be a valid integer, unable to parse string as an integer',
              input,
            };
          return { type: 'int_type', msg: 'Input should be a valid integer', input };
        case 'string':
          return { type: 'string_type', msg: 'Input should be a valid string', input };
        case 'boolean':
          return typeof input === 'string' || typeof input === 'number'
            ? {
                type: 'bool_parsing',
                msg: 'Input should be a valid boolean, unable to interpret input',
                input,
              }
            : { type: 'bool_type', msg: 'Input should be a valid boolean', input };
        case 'array':
          return { type: 'list_type', msg: 'Input should be a valid list', input };
        case 'object':
          return {
            type: 'model_attributes_type',
            msg: 'Input should be a valid dictionary or object to extract fields from',
            input,
          };
        default:
          return { type: `${issue.expected}_type`, msg: `Input should be a valid ${issue.expected}`, input };
      }
    }
    case 'too_small':
      return boundIssue(BOUNDS.too_small, Number(issue.minimum), issue.origin, issue.inclusive, input);
    case 'too_big':
      return boundIssue(BOUNDS.too_big, Number(issue.maximum), issue.origin, issue.inclusive, input);
    case 'invalid_value': {
      const expected = quoteList(issue.values);
      return { type: 'literal_error', msg: `Input should be ${expected}`, input, ctx: { expected } };
    }
    case 'invalid_format': {
      if (issue.format === 'regex') {
        // Zod reports the RegExp as "/source/flags"; Pydantic reports the bare source.
        const raw = (issue as { pattern?: string }).pattern ?? '';
        const pattern = /^\/(.*)\/[a-z]*$/s.exec(raw)?.[1] ?? raw;
        return {
          type: 'string_pattern_mismatch',
          msg: `String should match pattern '${pattern}'`,
          input,
          ctx: { pattern },
        };
      }
      if (issue.format === 'date')
        return {
          type: 'date_from_datetime_parsing',
          msg: 'Input should be a valid date or datetime, invalid character in year',
          input,
          ctx: { error: 'invalid character in year' },
        };
      return {
        type: 'value_error',
        msg: `Value error, ${issue.message}`,
        input,
        ctx: { error: issue.message },
      };
    }
    case 'unrecognized_keys':
      return { type: 'extra_forbidden', msg: 'Extra inputs are not permitted', input };
    default:
      return {
        type: 'value_error',
        msg: `Value error, ${issue.message}`,
        input,
        ctx: { error: issue.message },
      };
  }
}

export function zodIssuesToPydantic(
  issues: readonly z.core.$ZodIssue[],
  part: string,
  data: unknown,
): ValidationIssue[] {
  const prefix = LOC_PREFIX[part] ?? part;
  return issues.map((issue) => {
    const path = issue.path;
    const input = valueAt(data, path);
    const parent = path.length === 0 ? undefined : valueAt(data, path.slice(0, -1));
    const loc = [prefix, ...path.map((p) => (typeof p === 'number' ? p : String(p)))];
    // A missing body field reports the body it was missing from; a missing parameter reports null, as FastAPI does.
    return { loc, ...toPydantic(issue, input, prefix === 'body' ? parent : null) };
  });
}

/** Validates each request part with its Zod schema and reports failures in Pydantic's 422 shape. */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  const fast = httpPart === 'params' ? idFastPath(schema) : undefined;
  return (data) => {
    if (fast !== undefined) {
      const plain = fast(data);
      if (plain !== undefined) return plain;
    }
    if (httpPart === 'body' && (data === undefined || data === null)) {
      return {
        error: new RequestValidationError([
          { type: 'missing', loc: ['body'], msg: 'Field required', input: null },
        ]),
      };
    }
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return {
      error: new RequestValidationError(zodIssuesToPydantic(result.error.issues, httpPart ?? 'body', data)),
    };
  };
};
