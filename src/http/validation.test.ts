import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RequestValidationError } from './errors.js';
import { idParams, laxBool, laxInt } from './schemas.js';
import { validatorCompiler, zodIssuesToPydantic } from './validation.js';

function errorsFor(schema: z.ZodType, data: unknown, part = 'body') {
  const result = schema.safeParse(data);
  if (result.success) throw new Error('expected a validation failure');
  return zodIssuesToPydantic(result.error.issues, part, data);
}

describe('validation errors in the reference (Pydantic) shape', () => {
  it('reports a missing field with the object as input', () => {
    const errors = errorsFor(z.object({ email: z.string() }), { other: 1 });
    expect(errors).toEqual([
      { type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: { other: 1 } },
    ]);
  });

  it('reports string lengths with ctx', () => {
    const [tooShort] = errorsFor(z.object({ password: z.string().min(8) }), { password: 'abc' });
    expect(tooShort).toMatchObject({
      type: 'string_too_short',
      loc: ['body', 'password'],
      msg: 'String should have at least 8 characters',
      input: 'abc',
      ctx: { min_length: 8 },
    });
    const [tooLong] = errorsFor(z.object({ name: z.string().max(3) }), { name: 'abcd' });
    expect(tooLong).toMatchObject({ type: 'string_too_long', ctx: { max_length: 3 } });
  });

  it('reports integer bounds and parsing failures under the query location', () => {
    const schema = z.object({ page: laxInt({ min: 1 }), size: laxInt({ max: 100 }) });
    expect(errorsFor(schema, { page: '0', size: '5' }, 'querystring')[0]).toMatchObject({
      type: 'greater_than_equal',
      loc: ['query', 'page'],
      msg: 'Input should be greater than or equal to 1',
      ctx: { ge: 1 },
    });
    expect(errorsFor(schema, { page: 'x', size: '5' }, 'querystring')[0]).toMatchObject({
      type: 'int_parsing',
      loc: ['query', 'page'],
    });
    expect(errorsFor(schema, { page: '1', size: '101' }, 'querystring')[0]).toMatchObject({
      type: 'less_than_equal',
      ctx: { le: 100 },
    });
  });

  it('accepts numeric strings and boolean words as Pydantic lax mode does', () => {
    expect(laxInt().parse('42')).toBe(42);
    expect(laxBool().parse('yes')).toBe(true);
    expect(laxBool().parse('OFF')).toBe(false);
    expect(laxBool().parse(1)).toBe(true);
    expect(laxBool().parse(0)).toBe(false);
    expect(errorsFor(z.object({ flag: laxBool() }), { flag: 2 })[0]).toMatchObject({ type: 'bool_parsing' });
    expect(errorsFor(z.object({ flag: laxBool() }), { flag: 'maybe' })[0]).toMatchObject({
      type: 'bool_parsing',
    });
  });

  it('reports a literal mismatch with the expected values', () => {
    const [err] = errorsFor(z.object({ sort: z.enum(['asc', 'desc']) }), { sort: 'up' }, 'querystring');
    expect(err).toMatchObject({
      type: 'literal_error',
      loc: ['query', 'sort'],
      msg: "Input should be 'asc' or 'desc'",
      ctx: { expected: "'asc' or 'desc'" },
    });
  });

  it('reports list lengths', () => {
    const [err] = errorsFor(z.object({ ids: z.array(z.int()).min(1).max(2) }), { ids: [] });
    expect(err).toMatchObject({
      type: 'too_short',
      loc: ['body', 'ids'],
      ctx: { min_length: 1, actual_length: 0 },
    });
  });

  it('answers a plain id param without Zod exactly as Zod does, and leaves every other form to the schema', () => {
    const schema = idParams('book_id', 'Id of the book');
    const validate = validatorCompiler({ schema, httpPart: 'params', method: 'GET', url: '/books/:book_id' });
    const viaZod = (raw: string) => {
      const result = schema.safeParse({ book_id: raw });
      return result.success
        ? { value: result.data }
        : { issues: zodIssuesToPydantic(result.error.issues, 'params', { book_id: raw }) };
    };
    const viaCompiler = (raw: string) => {
      const out = validate({ book_id: raw }) as { value?: unknown; error?: RequestValidationError };
      return out.error ? { issues: out.error.issues } : { value: out.value };
    };
    for (const raw of [
      '1',
      '42',
      '999999999',
      '1000000000',
      '2147483648',
      '99999999999999999999',
      '0',
      '007',
      '+5',
      '-5',
      ' 5',
      '5.0',
      '5.5',
      '',
      'abc',
      '1e3',
    ]) {
      expect(viaCompiler(raw), raw).toEqual(viaZod(raw));
    }
    expect(validate({ book_id: '42' })).toEqual({ value: { book_id: 42 } });
    expect(validate({ book_id: 'abc' })).toHaveProperty('error');
  });
});
