import { asc } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { genres } from './genres.table.js';

const columns = { id: genres.id, name: genres.name };

export function listGenres(db: DbOrTx) {
  return db.select(columns).from(genres).orderBy(asc(genres.name), asc(genres.id));
}

/** Inserts a genre; undefined when the name is taken (also by a concurrent insert). */
export async function insertGenre(db: DbOrTx, name: string) {
  const [row] = await db
    .insert(genres)
    .values({ name })
    .onConflictDoNothing({ target: genres.name })
    .returning(columns);
  return row;
}

/** Inserts the names not taken yet, in the order given; the rows inserted. */
export function insertGenresIfMissing(db: DbOrTx, names: string[]) {
  return db
    .insert(genres)
    .values(names.map((name) => ({ name })))
    .onConflictDoNothing({ target: genres.name })
    .returning(columns);
}
