import type { Tx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { genreConflict } from './genres.errors.js';
import * as repo from './genres.repository.js';
import type { GenreResponse } from './genres.schemas.js';

/**
 * For the catalog import, inside its transaction: creates the genres of `names` that do not exist yet (in the
 * order given, so ids follow it), concurrent creators included. Returns how many it created.
 */
export async function createMissingGenres(tx: Tx, names: string[]): Promise<number> {
  if (names.length === 0) return 0;
  return (await repo.insertGenresIfMissing(tx, names)).length;
}

export function createGenresService({ db }: Pick<Deps, 'db'>) {
  return {
    listGenres(): Promise<GenreResponse[]> {
      return repo.listGenres(db);
    },

    async createGenre(name: string): Promise<GenreResponse> {
      const genre = await repo.insertGenre(db, name);
      if (!genre) throw genreConflict();
      return genre;
    },
  };
}

export type GenresService = ReturnType<typeof createGenresService>;
