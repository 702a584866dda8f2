import { z } from 'zod';
import { formatMoney, idParams, laxInt, money, pageEnvelope, pageQuery } from '../../http/schemas.js';
import { compareDecimal, normalizeIsbn, parseDecimal, parsePydanticDate } from './books.rules.js';
import type { BookRow } from './books.table.js';

export const bookResponse = z
  .object({
    id: z.int(),
    title: z.string(),
    author: z.string(),
    price: money,
    isbn: z.string().nullable(),
    genre_id: z.int().nullable(),
    description: z.string().nullable(),
    cover_image_url: z.string().nullable(),
    publish_date: z.string().nullable().meta({ format: 'date', example: '2024-05-01' }),
    stock_quantity: z.int(),
  })
  .meta({ id: 'BookResponse' });

export type BookResponse = z.infer<typeof bookResponse>;

/** The fields of a book row that BookResponse shows (search_vector and timestamps stay inside). */
export type BookResponseRow = Pick<
  BookRow,
  | 'id'
  | 'title'
  | 'author'
  | 'price'
  | 'isbn'
  | 'genreId'
  | 'description'
  | 'coverImageUrl'
  | 'publishDate'
  | 'stockQuantity'
>;

export function toBookResponse(row: BookResponseRow): BookResponse {
  return {
    id: row.id,
    title: row.title,
    author: row.author,
    price: formatMoney(row.price),
    isbn: row.isbn,
    genre_id: row.genreId,
    description: row.description,
    cover_image_url: row.coverImageUrl,
    publish_date: row.publishDate === null ? null : row.publishDate.slice(0, 10),
    stock_quantity: row.stockQuantity,
  };
}

export const bookDetailResponse = bookResponse
  .extend({
    avg_rating: z.number().nullable(),
    review_count: z.int(),
    in_stock: z.boolean(),
  })
  .meta({ id: 'BookDetailResponse' });

export type BookDetailResponse = z.infer<typeof bookDetailResponse>;

const pydanticIssue = (type: string, msg: string, ctx?: Record<string, unknown>) => ({
  code: 'custom' as const,
  message: msg,
  params: { pydantic: { type, msg, ...(ctx && { ctx }) } },
});

const NUL_MESSAGE = 'Text must not contain NUL characters';

/**
 * A string whose length is counted in characters (code points), as PostgreSQL's varchar(n) counts them, and
 * without NUL, which PostgreSQL cannot store.
 */
function text(min: number, max?: number) {
  return z
    .string()
    .superRefine((s, ctx) => {
      const length = [...s].length;
      if (length < min)
        ctx.addIssue(
          pydanticIssue(
            'string_too_short',
            `String should have at least ${min} character${min === 1 ? '' : 's'}`,
            {
              min_length: min,
            },
          ),
        );
      if (max !== undefined && length > max)
        ctx.addIssue(
          pydanticIssue('string_too_long', `String should have at most ${max} characters`, {
            max_length: max,
          }),
        );
      if (s.includes('\u0000'))
        ctx.addIssue(pydanticIssue('value_error', `Value error, ${NUL_MESSAGE}`, { error: NUL_MESSAGE }));
    })
    .meta({ ...(min > 0 && { minLength: min }), ...(max !== undefined && { maxLength: max }) });
}

export const MAX_PRICE = '99999999.99';

/** A decimal (JSON number or numeric string) with Pydantic's error types; the output is plain decimal text. */
function decimal(opts: { gt?: number; ge?: number; le?: string; places?: number }) {
  return z
    .unknown()
    .transform((value, ctx) => {
      if (value === undefined) {
        ctx.addIssue({ code: 'invalid_type', expected: 'number', input: value });
        return z.NEVER;
      }
      const parsed = parseDecimal(value);
      if (!parsed.ok) {
        ctx.addIssue(
          parsed.reason === 'type'
            ? pydanticIssue(
                'decimal_type',
                'Decimal input should be an integer, float, string or Decimal object',
              )
            : parsed.reason === 'finite'
              ? pydanticIssue('finite_number', 'Input should be a finite number')
              : pydanticIssue('decimal_parsing', 'Input should be a valid decimal'),
        );
        return z.NEVER;
      }
      const { text: value10, decimalPlaces } = parsed;
      if (opts.places !== undefined && decimalPlaces > opts.places) {
        ctx.addIssue(
          pydanticIssue(
            'decimal_max_places',
            `Decimal input should have no more than ${opts.places} decimal place${opts.places === 1 ? '' : 's'}`,
            { decimal_places: opts.places },
          ),
        );
        return z.NEVER;
      }
      if (opts.gt !== undefined && compareDecimal(value10, String(opts.gt)) <= 0) {
        ctx.addIssue(
          pydanticIssue('greater_than', `Input should be greater than ${opts.gt}`, { gt: opts.gt }),
        );
        return z.NEVER;
      }
      if (opts.ge !== undefined && compareDecimal(value10, String(opts.ge)) < 0) {
        ctx.addIssue(
          pydanticIssue('greater_than_equal', `Input should be greater than or equal to ${opts.ge}`, {
            ge: opts.ge,
          }),
        );
        return z.NEVER;
      }
      if (opts.le !== undefined && compareDecimal(value10, opts.le) > 0) {
        ctx.addIssue(
          pydanticIssue('less_than_equal', `Input should be less than or equal to ${opts.le}`, {
            le: Number(opts.le),
          }),
        );
        return z.NEVER;
      }
      return value10;
    })
    .meta({
      anyOf: [{ type: 'number' }, { type: 'string', pattern: '^-?\\d*\\.?\\d*$' }],
      ...(opts.gt !== undefined && { exclusiveMinimum: opts.gt }),
      ...(opts.ge !== undefined && { minimum: opts.ge }),
      ...(opts.le !== undefined && { maximum: Number(opts.le) }),
      example: '12.99',
    });
}

const DATE_MESSAGES = {
  date_type: 'Input should be a valid date',
  date_parsing: 'Input should be a valid date in the format YYYY-MM-DD',
  date_from_datetime_parsing: 'Input should be a valid date or datetime',
  date_from_datetime_inexact: 'Datetimes provided to dates should have zero time - e.g. be exact dates',
} as const;

/** A calendar date read as Pydantic's `date` field reads it (see parsePydanticDate); the output is YYYY-MM-DD. */
const dateInput = z
  .unknown()
  .transform((value, ctx) => {
    const parsed = parsePydanticDate(value);
    if (parsed.ok) return parsed.value;
    const { reason } = parsed;
    ctx.addIssue(
      'error' in reason
        ? pydanticIssue(reason.type, `${DATE_MESSAGES[reason.type]}, ${reason.error}`, {
            error: reason.error,
          })
        : pydanticIssue(reason.type, DATE_MESSAGES[reason.type]),
    );
    return z.NEVER;
  })
  .meta({ type: 'string', format: 'date', example: '2024-05-01' });

/** null or blank → null; otherwise the normalised ISBN (contract §5.1), or a 422 value_error with its message. */
const isbnInput = z
  .string()
  .nullable()
  .transform((value, ctx) => {
    const result = normalizeIsbn(value);
    if (result.ok) return result.value;
    ctx.addIssue(pydanticIssue('value_error', `Value error, ${result.message}`, { error: result.message }));
    return z.NEVER;
  })
  .meta({ example: '978-0-06-112008-4' });

const price = decimal({ gt: 0, le: MAX_PRICE, places: 2 });

/**
 * A JSON number too large for a double (1e400) parses to ±Infinity, which JSON cannot carry back, so the 422
 * would echo it as null. The field validators get a copy with the number itself; the request's own parsed body,
 * which the 422 echoes, gets its text ("Infinity", "-Infinity").
 */
function echoingNonFinite<T extends z.ZodType>(schema: T) {
  return z.preprocess((body) => {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
    const raw = body as Record<string, unknown>;
    const copy = { ...raw };
    for (const [key, value] of Object.entries(raw))
      if (typeof value === 'number' && !Number.isFinite(value)) raw[key] = String(value);
    return copy;
  }, schema);
}

export const bookCreateBody = echoingNonFinite(
  z.object({
    title: text(1, 500),
    author: text(1, 255),
    price,
    isbn: isbnInput.optional(),
    genre_id: laxInt().nullable().optional(),
    description: text(0).nullable().optional(),
    cover_image_url: text(0, 2048).nullable().optional(),
    publish_date: dateInput.nullable().optional(),
  }),
).meta({ id: 'BookCreate' });

export type BookCreateBody = z.infer<typeof bookCreateBody>;

/** Partial update: only the keys present in the body are applied; title, author and price cannot be null. */
export const bookUpdateBody = echoingNonFinite(
  z.object({
    title: text(1, 500).optional(),
    author: text(1, 255).optional(),
    price: price.optional(),
    isbn: isbnInput.optional(),
    genre_id: laxInt().nullable().optional(),
    description: text(0).nullable().optional(),
    cover_image_url: text(0, 2048).nullable().optional(),
    publish_date: dateInput.nullable().optional(),
  }),
).meta({ id: 'BookUpdate' });

export type BookUpdateBody = z.infer<typeof bookUpdateBody>;

export const BOOK_SORTS = ['title', 'price', 'date', 'created_at', 'avg_rating'] as const;
export type BookSort = (typeof BOOK_SORTS)[number];

/**
 * Bounds on the public search (an unbounded `q` of 9 KB took 14 s on 100 000 books): 200 characters hold any
 * title or author a reader types, and 10 words any real query; a longer one only costs the server.
 */
export const SEARCH_MAX_LENGTH = 200;
export const SEARCH_MAX_WORDS = 10;
/** The longest author stored (books.author is varchar(255)): a longer substring can never match. */
export const AUTHOR_FILTER_MAX_LENGTH = 255;

const tooLong = (max: number) =>
  pydanticIssue('string_too_long', `String should have at most ${max} characters`, { max_length: max });

/** Words as the full-text parser sees them: runs of letters and digits (`C++`, `a-b` are one and two). */
const searchWords = (q: string) => q.match(/[\p{L}\p{N}]+/gu)?.length ?? 0;

const searchQuery = z
  .string()
  .superRefine((q, ctx) => {
    if ([...q].length > SEARCH_MAX_LENGTH) ctx.addIssue(tooLong(SEARCH_MAX_LENGTH));
    else if (searchWords(q) > SEARCH_MAX_WORDS) {
      const error = `Search must have at most ${SEARCH_MAX_WORDS} words`;
      ctx.addIssue(pydanticIssue('value_error', `Value error, ${error}`, { error }));
    }
  })
  .meta({ maxLength: SEARCH_MAX_LENGTH, description: `At most ${SEARCH_MAX_WORDS} words` });

const authorFilter = z
  .string()
  .superRefine((author, ctx) => {
    if ([...author].length > AUTHOR_FILTER_MAX_LENGTH) ctx.addIssue(tooLong(AUTHOR_FILTER_MAX_LENGTH));
  })
  .meta({ maxLength: AUTHOR_FILTER_MAX_LENGTH });

export const bookListQuery = z.object({
  q: searchQuery.optional().meta({
    description: `Prefix full-text search over title and author, every word must match (at most ${SEARCH_MAX_WORDS} words)`,
  }),
  genre_id: laxInt().optional().meta({ description: 'Only books of this genre' }),
  author: authorFilter.optional().meta({ description: 'Case-insensitive substring of the author' }),
  min_price: decimal({ ge: 0 }).optional().meta({ description: 'Lowest price, inclusive' }),
  max_price: decimal({ ge: 0 }).optional().meta({ description: 'Highest price, inclusive' }),
  sort: z.enum(BOOK_SORTS).default('title').meta({ description: 'Sort key (ignored while `q` searches)' }),
  sort_dir: z
    .enum(['asc', 'desc'])
    .optional()
    .meta({ description: 'Direction; default descending for created_at and avg_rating, else ascending' }),
  ...pageQuery,
});

export type BookListQuery = z.infer<typeof bookListQuery>;

export const bookListResponse = pageEnvelope(bookResponse).meta({ id: 'BookListResponse' });

export const bookIdParams = idParams('book_id', 'Id of the book');
