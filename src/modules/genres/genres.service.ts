import type { Deps } from '../../deps.js';
import { genreConflict } from './genres.errors.js';
import * as repo from './genres.repository.js';
import type { GenreResponse } from './genres.schemas.js';

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
