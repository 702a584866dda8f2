import { allowLongStatements, type DbOrTx } from '../../db/client.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import type { Deps } from '../../deps.js';
import * as repo from './books.repository.js';
import { searchTokens } from './books.rules.js';
import {
  toBookDetailResponse,
  toBookResponse,
  type BookCreateBody,
  type BookDetailResponse,
  type BookListQuery,
  type BookResponse,
  type BookSort,
  type BookUpdateBody,
} from './books.schemas.js';
import { bookNotFound, genreNotFound, isbnConflict } from './books.errors.js';

/** Contract §7.5: newest and best-rated first unless asked otherwise. */
const DEFAULT_DIRECTION: Record<BookSort, 'asc' | 'desc'> = {
  title: 'asc',
  price: 'asc',
  date: 'asc',
  created_at: 'desc',
  avg_rating: 'desc',
};

/** The ISBN index and the genre foreign key decide uniqueness and existence, also for concurrent requests. */
function translateWriteError(err: unknown): never {
  if (isUniqueViolation(err, 'ix_books_isbn')) throw isbnConflict();
  if (isForeignKeyViolation(err, 'books_genre_id_genres_id_fk')) throw genreNotFound();
  throw err;
}

function toPatch(body: BookUpdateBody): repo.BookPatch {
  const patch: repo.BookPatch = {};
  if (body.title !== undefined) patch.title = body.title;
  if (body.author !== undefined) patch.author = body.author;
  if (body.price !== undefined) patch.price = body.price;
  if (body.isbn !== undefined) patch.isbn = body.isbn;
  if (body.genre_id !== undefined) patch.genreId = body.genre_id;
  if (body.description !== undefined) patch.description = body.description;
  if (body.cover_image_url !== undefined) patch.coverImageUrl = body.cover_image_url;
  if (body.publish_date !== undefined) patch.publishDate = body.publish_date;
  return patch;
}

/** Whether a book exists (for the modules that answer 404 BOOK_NOT_FOUND about one before they act). */
export async function bookExists(db: DbOrTx, bookId: number): Promise<boolean> {
  return (await repo.findBookById(db, bookId)) !== undefined;
}

export function createBooksService({ db, pool, config }: Pick<Deps, 'db' | 'pool' | 'config'>) {
  return {
    async listBooks(query: BookListQuery) {
      let tokens: string[] | undefined;
      let sort = query.sort;
      let direction = query.sort_dir ?? DEFAULT_DIRECTION[query.sort];
      if (query.q !== undefined && query.q !== '') {
        tokens = searchTokens(query.q);
        if (tokens === undefined) {
          // A search string without word characters searches nothing, and lists by title.
          sort = 'title';
          direction = 'asc';
        }
      }
      const { rows, total } = await repo.searchBooks(pool, {
        searchTokens: tokens,
        genreId: query.genre_id,
        author: query.author,
        minPrice: query.min_price,
        maxPrice: query.max_price,
        sort,
        direction,
        limit: query.size,
        offset: (query.page - 1) * query.size,
      });
      return { items: rows.map(toBookResponse), total, page: query.page, size: query.size };
    },

    async getBook(bookId: number): Promise<BookDetailResponse> {
      const row = await repo.findBookWithRatings(pool, bookId);
      if (!row) throw bookNotFound();
      return toBookDetailResponse(row);
    },

    async createBook(body: BookCreateBody): Promise<BookResponse> {
      const row = await repo
        .insertBook(db, {
          title: body.title,
          author: body.author,
          price: body.price,
          isbn: body.isbn ?? null,
          genreId: body.genre_id ?? null,
          description: body.description ?? null,
          coverImageUrl: body.cover_image_url ?? null,
          publishDate: body.publish_date ?? null,
        })
        .catch(translateWriteError);
      return toBookResponse(row);
    },

    async updateBook(bookId: number, body: BookUpdateBody): Promise<BookResponse> {
      const row = await repo.updateBook(db, bookId, toPatch(body)).catch(translateWriteError);
      if (!row) throw bookNotFound();
      return toBookResponse(row);
    },

    async deleteBook(bookId: number): Promise<void> {
      // The delete cascades to every pre-booking, wishlist and cart line of the book: possibly 100 000 rows.
      const deleted = await db.transaction(async (tx) => {
        await allowLongStatements(tx, config.DB_LONG_STATEMENT_TIMEOUT_MS);
        return repo.deleteBook(tx, bookId);
      });
      if (!deleted) throw bookNotFound();
    },
  };
}

export type BooksService = ReturnType<typeof createBooksService>;
