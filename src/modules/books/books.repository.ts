import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { books, type BookRow } from './books.table.js';

export async function findBookById(db: DbOrTx, id: number): Promise<BookRow | undefined> {
  const [row] = await db.select().from(books).where(eq(books.id, id));
  return row;
}
