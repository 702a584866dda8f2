import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bookDetailResponse, bookListResponse } from '../modules/books/books.schemas.js';
import { errorBody } from './schemas.js';
import { compileFastSerializer } from './serializer.js';

const zodBytes = (schema: z.ZodType, data: unknown) => JSON.stringify(schema.parse(data));

const strings = [
  '',
  'plain',
  'Brontë – “quoted” \\ back\\slash "double"',
  'control \u0000\u0001\u001f\n\t\r\b\f',
  'lone surrogates \ud800 x \udfff and a pair 😀',
  'x'.repeat(300) + '"' + 'é'.repeat(50),
  '\u2028\u2029 <script>',
];

function book(i: number, overrides: Record<string, unknown> = {}) {
  const s = strings[i % strings.length]!;
  return {
    id: i + 1,
    title: s,
    author: strings[(i + 3) % strings.length]!,
    price: '12.50',
    isbn: i % 2 === 0 ? null : '9780306406157',
    genre_id: i % 3 === 0 ? null : i,
    description: i % 2 === 0 ? s : null,
    cover_image_url: null,
    publish_date: i % 4 === 0 ? null : '2024-05-01',
    stock_quantity: i,
    ...overrides,
  };
}

describe('the compiled response serializer', () => {
  it('writes a book detail byte for byte as the Zod serializer does', () => {
    const fast = compileFastSerializer(bookDetailResponse);
    expect(fast).toBeDefined();
    for (const [i, avg] of [null, 4, 4.2, 4.8, 1, 5, 3.5].entries()) {
      const detail = {
        ...book(i),
        avg_rating: avg,
        review_count: avg === null ? 0 : 7,
        in_stock: i % 2 === 0,
        searchVector: 'never sent',
      };
      expect(fast!(detail)).toBe(zodBytes(bookDetailResponse, detail));
    }
  });

  it('writes a book page byte for byte as the Zod serializer does, extra keys dropped', () => {
    const fast = compileFastSerializer(bookListResponse)!;
    const page = {
      items: strings.map((_, i) => ({ ...book(i), createdAt: new Date(0) })),
      total: 123456,
      page: 3,
      size: 20,
    };
    expect(fast(page)).toBe(zodBytes(bookListResponse, page));
    const empty = { items: [], total: 0, page: 9, size: 100 };
    expect(fast(empty)).toBe(zodBytes(bookListResponse, empty));
  });

  it('refuses a response without a required field instead of sending it', () => {
    const fast = compileFastSerializer(bookDetailResponse)!;
    const { title: _title, ...withoutTitle } = {
      ...book(1),
      avg_rating: null,
      review_count: 0,
      in_stock: true,
    };
    expect(() => fast(withoutTitle)).toThrow();
  });

  it('leaves schemas it cannot reproduce exactly to the Zod serializer', () => {
    expect(compileFastSerializer(errorBody)).toBeUndefined(); // loose object: extra keys are sent
    expect(compileFastSerializer(z.object({ a: z.union([z.string(), z.int()]) }))).toBeUndefined();
    expect(compileFastSerializer(z.object({ a: z.string().transform((s) => s.length) }))).toBeUndefined();
    expect(compileFastSerializer(z.record(z.string(), z.int()))).toBeUndefined();
    expect(compileFastSerializer(z.object({ a: z.enum(['x', 'y']) }))).toBeUndefined();
  });
});
