import { z } from 'zod';
import { formatMoney, money } from '../../http/schemas.js';
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
