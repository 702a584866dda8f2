import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createBook, createReview, useTestApp } from '../../../test/helpers.js';

const t = useTestApp();
let genreA: number;
let genreB: number;
const ids: Record<string, number> = {};

interface Page {
  items: { id: number; title: string; author: string; price: string }[];
  total: number;
  page: number;
  size: number;
}

async function list(query: string) {
  const res = await t.app.inject({ method: 'GET', url: `/books?${query}` });
  expect(res.statusCode, query).toBe(200);
  return res.json<Page>();
}
const titles = async (query: string) => (await list(query)).items.map((b) => b.title);

const review = (bookId: number, rating: number) => createReview(t, { bookId, rating });

beforeAll(async () => {
  const admin = await createAdmin(t);
  const genre = async (name: string) =>
    (await t.app.inject({ method: 'POST', url: '/genres', headers: admin.auth, payload: { name } })).json<{
      id: number;
    }>().id;
  genreA = await genre('Sci-Fi');
  genreB = await genre('Crime');
  // Inserted in an order that differs from every sort below; created_at follows insertion.
  const books: [string, string, string, string | null, number | null][] = [
    ['Dune', 'Frank Herbert', '9.99', '1965-08-01', genreA],
    ['Herbert the Hedgehog', 'Jane Roe', '5.00', null, genreB],
    ['Children of Dune', 'Frank Herbert', '12.50', '1976-04-01', genreA],
    ['C++ Primer', 'Stanley Lippman', '49.90', '2012-08-06', null],
    ['Percent Tales', '100% Real_Author', '20.00', '2001-01-01', genreB],
    ['Plain Tales', '1000 Real Authors', '20.00', '2000-01-01', genreB],
    ['Anathem', 'Neal Stephenson', '15.00', '2008-09-09', genreA],
  ];
  for (const [title, author, price, date, genreId] of books) {
    const book = await createBook(t, { title, author, price, genreId });
    if (date) await t.deps.db.execute(sql`UPDATE books SET publish_date = ${date} WHERE id = ${book.id}`);
    await t.deps.db.execute(
      sql`UPDATE books SET created_at = now() + make_interval(secs => ${Object.keys(ids).length}) WHERE id = ${book.id}`,
    );
    ids[title] = book.id;
  }
  await review(ids['Anathem']!, 5);
  await review(ids['Dune']!, 5);
  await review(ids['Dune']!, 4);
  await review(ids['C++ Primer']!, 2);
});

describe('GET /books listing', () => {
  it('lists every book by title by default with the page envelope', async () => {
    const page = await list('');
    expect(page.total).toBe(7);
    expect(page.page).toBe(1);
    expect(page.size).toBe(20);
    expect(page.items.map((b) => b.title)).toEqual([
      'Anathem',
      'C++ Primer',
      'Children of Dune',
      'Dune',
      'Herbert the Hedgehog',
      'Percent Tales',
      'Plain Tales',
    ]);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      [
        'author',
        'cover_image_url',
        'description',
        'genre_id',
        'id',
        'isbn',
        'price',
        'publish_date',
        'stock_quantity',
        'title',
      ].sort(),
    );
    expect(page.items.find((b) => b.title === 'Herbert the Hedgehog')!.price).toBe('5.00');
  });

  it('pages with total counted over all matches and an empty page past the end', async () => {
    const first = await list('size=3&page=1');
    expect(first.items.map((b) => b.title)).toEqual(['Anathem', 'C++ Primer', 'Children of Dune']);
    expect(first.total).toBe(7);
    expect(await titles('size=3&page=3')).toEqual(['Plain Tales']);
    const past = await list('size=3&page=4');
    expect(past).toEqual({ items: [], total: 7, page: 4, size: 3 });
    expect((await list('size=100')).items).toHaveLength(7);
  });

  it('sorts by price, date and title in both directions with id as tiebreak', async () => {
    expect(await titles('sort=price')).toEqual([
      'Herbert the Hedgehog',
      'Dune',
      'Children of Dune',
      'Anathem',
      'Percent Tales',
      'Plain Tales',
      'C++ Primer',
    ]);
    expect(await titles('sort=price&sort_dir=desc')).toEqual([
      'C++ Primer',
      'Percent Tales',
      'Plain Tales',
      'Anathem',
      'Children of Dune',
      'Dune',
      'Herbert the Hedgehog',
    ]);
    expect(await titles('sort=date')).toEqual([
      'Dune',
      'Children of Dune',
      'Plain Tales',
      'Percent Tales',
      'Anathem',
      'C++ Primer',
      'Herbert the Hedgehog',
    ]);
    expect(await titles('sort=date&sort_dir=desc')).toEqual([
      'Herbert the Hedgehog',
      'C++ Primer',
      'Anathem',
      'Percent Tales',
      'Plain Tales',
      'Children of Dune',
      'Dune',
    ]);
    expect((await titles('sort=title&sort_dir=desc'))[0]).toBe('Plain Tales');
  });

  it('sorts by created_at newest first unless asked otherwise', async () => {
    const newestFirst = [
      'Anathem',
      'Plain Tales',
      'Percent Tales',
      'C++ Primer',
      'Children of Dune',
      'Herbert the Hedgehog',
      'Dune',
    ];
    expect(await titles('sort=created_at')).toEqual(newestFirst);
    expect(await titles('sort=created_at&sort_dir=desc')).toEqual(newestFirst);
    expect(await titles('sort=created_at&sort_dir=asc')).toEqual([...newestFirst].reverse());
  });

  it('sorts by average rating best first by default, books without reviews last in both directions', async () => {
    const unrated = ['Herbert the Hedgehog', 'Children of Dune', 'Percent Tales', 'Plain Tales'].sort(
      (a, b) => ids[a]! - ids[b]!,
    );
    expect(await titles('sort=avg_rating')).toEqual(['Anathem', 'Dune', 'C++ Primer', ...unrated]);
    expect(await titles('sort=avg_rating&sort_dir=asc')).toEqual([
      'C++ Primer',
      'Dune',
      'Anathem',
      ...unrated,
    ]);
  });

  it('filters by genre, price bounds (inclusive) and combines filters', async () => {
    expect(await titles(`genre_id=${genreA}`)).toEqual(['Anathem', 'Children of Dune', 'Dune']);
    expect(await titles('genre_id=999999')).toEqual([]);
    expect(await titles('min_price=12.5&max_price=20')).toEqual([
      'Anathem',
      'Children of Dune',
      'Percent Tales',
      'Plain Tales',
    ]);
    expect(await titles(`min_price=10&genre_id=${genreA}`)).toEqual(['Anathem', 'Children of Dune']);
    expect((await list('max_price=0')).total).toBe(0);
  });

  it('filters by author case-insensitively with % and _ matched literally', async () => {
    expect(await titles('author=HERBERT')).toEqual(['Children of Dune', 'Dune']);
    expect(await titles('author=100%25')).toEqual(['Percent Tales']);
    expect(await titles('author=l_author')).toEqual(['Percent Tales']);
    expect(await titles('author=%25')).toEqual(['Percent Tales']);
    expect(await titles('author=_')).toEqual(['Percent Tales']);
    expect(await titles('author=%5C')).toEqual([]);
    expect(await titles('author=%00')).toEqual([]);
    expect(await titles('q=%00')).toEqual(await titles(''));
  });
});

describe('GET /books search', () => {
  it('matches word prefixes case-insensitively and ranks title hits above author hits', async () => {
    expect(await titles('q=du')).toEqual(['Dune', 'Children of Dune']);
    // "herbert" is in the title of one book (weight A) and the author of two (weight B).
    const ranked = await titles('q=Herbert');
    expect(ranked[0]).toBe('Herbert the Hedgehog');
    expect(ranked.slice(1)).toEqual(['Dune', 'Children of Dune']);
  });

  it('requires every token to match and ignores sort while searching', async () => {
    expect(await titles('q=frank%20dune&sort=price&sort_dir=desc')).toEqual(['Dune', 'Children of Dune']);
    expect(await titles('q=dune%20zzz')).toEqual([]);
    expect((await list('q=dune%20zzz')).total).toBe(0);
  });

  it('searches "C++" as the prefix "C", equal ranks in id order', async () => {
    expect(await titles('q=C%2B%2B')).toEqual(['Children of Dune', 'C++ Primer']);
  });

  it('lists by title when the search string has no word characters, and ignores an empty one', async () => {
    expect(await titles('q=%2B%2B&sort=price&sort_dir=desc')).toEqual(await titles(''));
    expect(await titles('q=&sort=price')).toEqual(await titles('sort=price'));
    expect((await list('q=-')).total).toBe(0);
  });

  it('combines search with filters and paging', async () => {
    const page = await list(`q=tales&genre_id=${genreB}&size=1&page=2`);
    expect(page.total).toBe(2);
    expect(page.items).toHaveLength(1);
  });
});

describe('GET /books query validation', () => {
  it.each([
    ['page=0', 'page', 'greater_than_equal'],
    ['size=0', 'size', 'greater_than_equal'],
    ['size=101', 'size', 'less_than_equal'],
    ['page=x', 'page', 'int_parsing'],
    ['genre_id=abc', 'genre_id', 'int_parsing'],
    ['min_price=-1', 'min_price', 'greater_than_equal'],
    ['max_price=abc', 'max_price', 'decimal_parsing'],
    ['sort=rating', 'sort', 'literal_error'],
    ['sort_dir=up', 'sort_dir', 'literal_error'],
  ])('answers 422 for %s', async (query, field, type) => {
    const res = await t.app.inject({ method: 'GET', url: `/books?${query}` });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_ERROR', detail: [{ type, loc: ['query', field] }] });
  });

  it('names the allowed sorts in the literal error', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/books?sort=rating' });
    expect(res.json()).toMatchObject({
      detail: [{ msg: "Input should be 'title', 'price', 'date', 'created_at' or 'avg_rating'" }],
    });
  });
});

describe('GET /books search bounds', () => {
  const get = (query: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/books?${new URLSearchParams(query).toString()}` });

  it('answers 422 string_too_long for a q over 200 characters, counted in characters', async () => {
    const res = await get({ q: 'd'.repeat(201) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toEqual({
      code: 'VALIDATION_ERROR',
      detail: [
        {
          type: 'string_too_long',
          loc: ['query', 'q'],
          msg: 'String should have at most 200 characters',
          input: 'd'.repeat(201),
          ctx: { max_length: 200 },
        },
      ],
    });
    expect((await get({ q: 'é'.repeat(200) })).statusCode).toBe(200);
    expect((await get({ q: `dune ${'x'.repeat(195)}` })).statusCode).toBe(200);
  });

  it('answers 422 for more than 10 words, words split at spaces and at other separators alike', async () => {
    for (const q of ['a b c d e f g h i j k', 'a-b-c-d-e-f-g-h-i-j-k', 'a_b.c,d e f g h i j k']) {
      const res = await get({ q });
      expect(res.statusCode, q).toBe(422);
      expect(res.json(), q).toMatchObject({
        code: 'VALIDATION_ERROR',
        detail: [
          {
            type: 'value_error',
            loc: ['query', 'q'],
            msg: 'Value error, Search must have at most 10 words',
            input: q,
            ctx: { error: 'Search must have at most 10 words' },
          },
        ],
      });
    }
    // Ten words, with symbols that are not words, still search.
    expect(await titles('q=dune%20%2B%2B%20a%20b%20c%20d%20e%20f%20g%20h%20i')).toEqual([]);
    expect(await titles(`q=${encodeURIComponent('children of dune ++ -- !!')}`)).toEqual([
      'Children of Dune',
    ]);
  });

  it('answers 422 string_too_long for an author filter longer than any stored author (255)', async () => {
    const res = await get({ author: 'h'.repeat(256) });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_ERROR',
      detail: [{ type: 'string_too_long', loc: ['query', 'author'], ctx: { max_length: 255 } }],
    });
    expect((await get({ author: 'h'.repeat(255) })).json()).toMatchObject({ total: 0 });
  });
});
