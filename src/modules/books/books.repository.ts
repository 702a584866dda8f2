import { and, asc, desc, eq, getTableColumns, gte, ilike, isNull, lte, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
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
 * The catalog reads are prepared once per database handle and run as named statements: no query building per
 * request, and PostgreSQL parses each statement once per connection. Names are process-wide, one per SQL shape.
 */
const statementNames = new Map<string, string>();
const preparedByDb = new WeakMap<DbOrTx, Map<string, unknown>>();

function prepared<T>(db: DbOrTx, shape: string, build: (name: string) => T): T {
  let byShape = preparedByDb.get(db);
  if (!byShape) preparedByDb.set(db, (byShape = new Map<string, unknown>()));
  let statement = byShape.get(shape) as T | undefined;
  if (statement === undefined) {
    let name = statementNames.get(shape);
    if (name === undefined) statementNames.set(shape, (name = `books_read_${statementNames.size + 1}`));
    statement = build(name);
    byShape.set(shape, statement);
  }
  return statement;
}

/** The book with the sum and count of its live (not soft-deleted) review ratings, in one statement. */
export async function findBookWithRatings(db: DbOrTx, id: number) {
  const statement = prepared(db, 'detail', (name) =>
    db
      .select({
        ...responseColumns,
        ratingSum: sql<number>`coalesce(sum(${reviews.rating}), 0)::int`.mapWith(Number),
        reviewCount: sql<number>`count(${reviews.id})::int`.mapWith(Number),
      })
      .from(books)
      .leftJoin(reviews, and(eq(reviews.bookId, books.id), isNull(reviews.deletedAt)))
      .where(eq(books.id, sql.placeholder('id')))
      .groupBy(books.id)
      .prepare(name),
  );
  const [row] = await statement.execute({ id });
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

function buildSearch(db: DbOrTx, s: BookSearch, where: SQL | undefined, name: string) {
  const limit = sql.placeholder('limit');
  const offset = sql.placeholder('offset');
  if (s.searchTokens !== undefined) {
    // Relevance order. The matches are computed once (a CTE used twice is materialised): the page and the total
    // come from the same scan of the GIN index.
    const matches = db.$with('matches').as(
      db
        .select({
          id: books.id,
          rank: sql<number>`ts_rank(${books.searchVector}, ${searchQuery})`.as('rank'),
        })
        .from(books)
        .where(where),
    );
    const totals = db
      .select({ total: sql<number>`count(*)::int`.as('total') })
      .from(matches)
      .as('totals');
    const page = db
      .select({ id: matches.id, rank: matches.rank })
      .from(matches)
      .orderBy(desc(matches.rank), asc(matches.id))
      .limit(limit)
      .offset(offset)
      .as('page');
    return db
      .with(matches)
      .select({ total: totals.total, ...responseColumns })
      .from(totals)
      .leftJoinLateral(page, sql`true`)
      .leftJoin(books, eq(books.id, page.id))
      .orderBy(desc(page.rank), asc(page.id))
      .prepare(name);
  }
  // Sorted list: the page's ids are found first (for the title, price and date sorts an index-only scan of the
  // sort index, so deep offsets skip index entries, not table rows), then only those rows are read.
  const ratings = db
    .select({ bookId: reviews.bookId, avgRating: sql<string>`avg(${reviews.rating})`.as('avg_rating') })
    .from(reviews)
    .where(isNull(reviews.deletedAt))
    .groupBy(reviews.bookId)
    .as('ratings');
  const key = sortKey(s.sort, ratings);
  const nulls = s.sort === 'avg_rating' ? sql` NULLS LAST` : sql``;
  const dir = sql.raw(s.direction);
  const inner = db.select({ id: books.id, key: sql`${key}`.as('sort_key') }).from(books);
  const page = (s.sort === 'avg_rating' ? inner.leftJoin(ratings, eq(ratings.bookId, books.id)) : inner)
    .where(where)
    .orderBy(sql`${key} ${dir}${nulls}`, asc(books.id))
    .limit(limit)
    .offset(offset)
    .as('page');
  const totals = db
    .select({ total: sql<number>`count(*)::int`.as('total') })
    .from(books)
    .where(where)
    .as('totals');
  return db
    .select({ total: totals.total, ...responseColumns })
    .from(totals)
    .leftJoinLateral(page, sql`true`)
    .leftJoin(books, eq(books.id, page.id))
    .orderBy(sql`${page.key} ${dir}${nulls}`, asc(page.id))
    .prepare(name);
}

/** One page of matching books and the number of all matches, in one statement. */
export async function searchBooks(
  db: DbOrTx,
  s: BookSearch,
): Promise<{ rows: BookResponseRow[]; total: number }> {
  const { params, shape, where } = searchFilters(s);
  const order = s.searchTokens === undefined ? `${s.sort} ${s.direction}` : 'rank';
  const statement = prepared(db, `search:${shape}:${order}`, (name) => buildSearch(db, s, where, name));
  const result = await statement.execute(params);
  const rows: BookResponseRow[] = [];
  for (const { total: _total, ...row } of result) if (row.id !== null) rows.push(row as BookResponseRow);
  return { rows, total: result[0]?.total ?? 0 };
}
