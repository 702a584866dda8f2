import { and, asc, desc, eq, getTableColumns, gte, ilike, isNull, lte, type SQL, sql } from 'drizzle-orm';
import { Placeholder } from 'drizzle-orm';
import { QueryBuilder } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { namedRead, type DbOrTx, type NamedRead } from '../../db/client.js';
import { reviews } from '../reviews/reviews.table.js';
import type { BookResponseRow, BookSort } from './books.schemas.js';
import { books, type BookRow } from './books.table.js';

const {
  searchVector: _searchVector,
  authorUnaccented: _authorUnaccented,
  ...bookColumns
} = getTableColumns(books);

/** A book row without its search columns (what the API reads). */
export type Book = Omit<BookRow, 'searchVector' | 'authorUnaccented'>;
export type NewBook = typeof books.$inferInsert;
export type BookPatch = Partial<
  Pick<
    NewBook,
    'title' | 'author' | 'price' | 'isbn' | 'genreId' | 'description' | 'coverImageUrl' | 'publishDate'
  >
>;

export async function findBookById(db: DbOrTx, id: number): Promise<BookRow | undefined> {
  const [row] = await db.select().from(books).where(eq(books.id, id));
  return row;
}

/** The columns a BookResponse shows: reads fetch nothing else (no timestamps to parse, no search vector). */
const responseColumns = {
  id: books.id,
  title: books.title,
  author: books.author,
  price: books.price,
  isbn: books.isbn,
  genreId: books.genreId,
  description: books.description,
  coverImageUrl: books.coverImageUrl,
  publishDate: books.publishDate,
  stockQuantity: books.stockQuantity,
};

/**
 * The catalog reads (book detail, search, sorted lists) are written with Drizzle's query builder once per SQL shape,
 * and run as named statements straight on the pool (see namedRead): PostgreSQL parses each once per connection,
 * and a call costs no query building and no ORM layer (Drizzle's prepared execute was ~10 µs of Node CPU a call
 * on top of pg's own). Rows come back as arrays in the order of the selected columns.
 */
const qb = new QueryBuilder();

interface Read {
  run: NamedRead;
  /** The placeholder names in the order of the statement's $1, $2, … */
  names: string[];
}
const readsByPool = new WeakMap<pg.Pool, Map<string, Read>>();
/** Statement names are process-wide, one per SQL shape (a named statement's text never changes). */
const statementNames = new Map<string, string>();

function read(
  pool: pg.Pool,
  shape: string,
  build: () => { toSQL(): { sql: string; params: unknown[] } },
): Read {
  let byShape = readsByPool.get(pool);
  if (!byShape) readsByPool.set(pool, (byShape = new Map<string, Read>()));
  let r = byShape.get(shape);
  if (r === undefined) {
    let name = statementNames.get(shape);
    if (name === undefined) statementNames.set(shape, (name = `books_read_${statementNames.size + 1}`));
    const { sql: text, params } = build().toSQL();
    const names = params.map((p) => {
      if (!(p instanceof Placeholder))
        throw new Error(`books read ${shape}: a parameter that is not a placeholder`);
      return p.name as string;
    });
    r = { run: namedRead(pool, name, text), names };
    byShape.set(shape, r);
  }
  return r;
}

/** A BookResponseRow from the columns of responseColumns, starting at index `at`. */
function bookRow(r: unknown[], at: number): BookResponseRow {
  return {
    id: r[at] as number,
    title: r[at + 1] as string,
    author: r[at + 2] as string,
    price: r[at + 3] as string,
    isbn: r[at + 4] as string | null,
    genreId: r[at + 5] as number | null,
    description: r[at + 6] as string | null,
    coverImageUrl: r[at + 7] as string | null,
    publishDate: r[at + 8] as string | null,
    stockQuantity: r[at + 9] as number,
  };
}

export interface BookWithRatings extends BookResponseRow {
  ratingSum: number;
  reviewCount: number;
}

/** The book with the sum and count of its live (not soft-deleted) review ratings, in one statement. */
export async function findBookWithRatings(pool: pg.Pool, id: number): Promise<BookWithRatings | undefined> {
  const { run } = read(pool, 'detail', () =>
    qb
      .select({
        ...responseColumns,
        ratingSum: sql<number>`coalesce(sum(${reviews.rating}), 0)::int`,
        reviewCount: sql<number>`count(${reviews.id})::int`,
      })
      .from(books)
      .leftJoin(reviews, and(eq(reviews.bookId, books.id), isNull(reviews.deletedAt)))
      .where(eq(books.id, sql.placeholder('id')))
      .groupBy(books.id),
  );
  const [r] = await run([id]);
  if (r === undefined) return undefined;
  const row = bookRow(r, 0) as BookWithRatings;
  row.ratingSum = r[10] as number;
  row.reviewCount = r[11] as number;
  return row;
}

export async function insertBook(db: DbOrTx, values: NewBook): Promise<Book> {
  const [row] = await db.insert(books).values(values).returning(bookColumns);
  return row!;
}

/** Applies the given columns and refreshes updated_at; undefined when the book does not exist. */
export async function updateBook(db: DbOrTx, id: number, patch: BookPatch): Promise<Book | undefined> {
  const [row] = await db
    .update(books)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(books.id, id))
    .returning(bookColumns);
  return row;
}

export async function deleteBook(db: DbOrTx, id: number): Promise<boolean> {
  const rows = await db.delete(books).where(eq(books.id, id)).returning({ id: books.id });
  return rows.length > 0;
}

export interface BookSearch {
  /** Search tokens (contract §5.1), all to match as prefixes, accents folded; results are ranked by relevance. */
  searchTokens?: string[];
  genreId?: number;
  author?: string;
  minPrice?: string;
  maxPrice?: string;
  /** Ignored when searching. */
  sort: BookSort;
  direction: 'asc' | 'desc';
  limit: number;
  offset: number;
}

type SearchParams = Record<string, string | number | string[]>;

/**
 * The search query, computed once per statement (an uncorrelated subquery) from the tokens: accents folded, each
 * token a prefix, all AND-ed (migration 0008).
 */
const searchQuery = sql`(SELECT books_search_query(${sql.placeholder('tokens')}::text[]))`;

/** The filters of a search as SQL with placeholders, and the shape (which filters are present) they give. */
function searchFilters(s: BookSearch) {
  const params: SearchParams = { limit: s.limit, offset: s.offset };
  const shape: string[] = [];
  const conditions: (SQL | undefined)[] = [];
  if (s.searchTokens !== undefined) {
    params.tokens = s.searchTokens;
    shape.push('q');
    conditions.push(sql`${books.searchVector} @@ ${searchQuery}`);
  }
  if (s.genreId !== undefined) {
    params.genreId = s.genreId;
    shape.push('genre');
    conditions.push(eq(books.genreId, sql.placeholder('genreId')));
  }
  if (s.author !== undefined) {
    // Case-insensitive substring match; a NUL cannot occur in stored text, so it matches nothing.
    if (s.author.includes('\u0000')) {
      shape.push('nothing');
      conditions.push(sql`false`);
    } else {
      // Accent-insensitive too: the pattern is folded (then escaped) by books_author_pattern, once per query.
      params.author = s.author;
      shape.push('author');
      conditions.push(
        ilike(books.authorUnaccented, sql`(SELECT books_author_pattern(${sql.placeholder('author')}))`),
      );
    }
  }
  if (s.minPrice !== undefined) {
    params.minPrice = s.minPrice;
    shape.push('min');
    conditions.push(gte(books.price, sql.placeholder('minPrice')));
  }
  if (s.maxPrice !== undefined) {
    params.maxPrice = s.maxPrice;
    shape.push('max');
    conditions.push(lte(books.price, sql.placeholder('maxPrice')));
  }
  return { params, shape: shape.join(','), where: and(...conditions) };
}

/** The sort key of each list order (the relevance order of a search is built apart). */
function sortKey(sort: BookSort, ratings: { avgRating: SQL.Aliased<string> }): SQL {
  switch (sort) {
    case 'title':
      return sql`${books.title}`;
    case 'price':
      return sql`${books.price}`;
    case 'date':
      return sql`${books.publishDate}`;
    case 'created_at':
      return sql`${books.createdAt}`;
    case 'avg_rating':
      return sql`${ratings.avgRating}`;
  }
}

function buildSearch(s: BookSearch, where: SQL | undefined) {
  const limit = sql.placeholder('limit');
  const offset = sql.placeholder('offset');
  if (s.searchTokens !== undefined) {
    // Relevance order. The matches are computed once (a CTE used twice is materialised): the page and the total
    // come from the same scan of the GIN index.
    const matches = qb.$with('matches').as(
      qb
        .select({
          id: books.id,
          rank: sql<number>`ts_rank(${books.searchVector}, ${searchQuery})`.as('rank'),
        })
        .from(books)
        .where(where),
    );
    const totals = qb
      .select({ total: sql<number>`count(*)::int`.as('total') })
      .from(matches)
      .as('totals');
    const page = qb
      .select({ id: matches.id, rank: matches.rank })
      .from(matches)
      .orderBy(desc(matches.rank), asc(matches.id))
      .limit(limit)
      .offset(offset)
      .as('page');
    return qb
      .with(matches)
      .select({ total: totals.total, ...responseColumns })
      .from(totals)
      .leftJoinLateral(page, sql`true`)
      .leftJoin(books, eq(books.id, page.id))
      .orderBy(desc(page.rank), asc(page.id));
  }
  // Sorted list: the page's ids are found first (for the title, price and date sorts an index-only scan of the
  // sort index, so deep offsets skip index entries, not table rows), then only those rows are read.
  const ratings = qb
    .select({ bookId: reviews.bookId, avgRating: sql<string>`avg(${reviews.rating})`.as('avg_rating') })
    .from(reviews)
    .where(isNull(reviews.deletedAt))
    .groupBy(reviews.bookId)
    .as('ratings');
  const key = sortKey(s.sort, ratings);
  const nulls = s.sort === 'avg_rating' ? sql` NULLS LAST` : sql``;
  const dir = sql.raw(s.direction);
  const inner = qb.select({ id: books.id, key: sql`${key}`.as('sort_key') }).from(books);
  const page = (s.sort === 'avg_rating' ? inner.leftJoin(ratings, eq(ratings.bookId, books.id)) : inner)
    .where(where)
    .orderBy(sql`${key} ${dir}${nulls}`, asc(books.id))
    .limit(limit)
    .offset(offset)
    .as('page');
  const totals = qb
    .select({ total: sql<number>`count(*)::int`.as('total') })
    .from(books)
    .where(where)
    .as('totals');
  return qb
    .select({ total: totals.total, ...responseColumns })
    .from(totals)
    .leftJoinLateral(page, sql`true`)
    .leftJoin(books, eq(books.id, page.id))
    .orderBy(sql`${page.key} ${dir}${nulls}`, asc(page.id));
}

/** One page of matching books and the number of all matches, in one statement. */
export async function searchBooks(
  pool: pg.Pool,
  s: BookSearch,
): Promise<{ rows: BookResponseRow[]; total: number }> {
  const { params, shape, where } = searchFilters(s);
  const order = s.searchTokens === undefined ? `${s.sort} ${s.direction}` : 'rank';
  const { run, names } = read(pool, `search:${shape}:${order}`, () => buildSearch(s, where));
  const values: unknown[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) values[i] = params[names[i]!];
  const result = await run(values);
  // Columns: the total, then the book's (null for the one row of a page past the end).
  const rows: BookResponseRow[] = [];
  for (const r of result) if (r[1] !== null) rows.push(bookRow(r, 1));
  return { rows, total: (result[0]?.[0] as number | undefined) ?? 0 };
}
