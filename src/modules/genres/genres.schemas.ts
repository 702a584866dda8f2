import { z } from 'zod';
import { pgText } from '../../http/pydantic.js';

export const genreResponse = z.object({ id: z.int(), name: z.string() }).meta({ id: 'GenreResponse' });

export type GenreResponse = z.infer<typeof genreResponse>;

export const genreCreateBody = z
  .object({
    name: pgText(1, 100),
  })
  .meta({ id: 'GenreCreate' });

export type GenreCreateBody = z.infer<typeof genreCreateBody>;
