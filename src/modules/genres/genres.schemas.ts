import { z } from 'zod';

export const genreResponse = z.object({ id: z.int(), name: z.string() }).meta({ id: 'GenreResponse' });

export type GenreResponse = z.infer<typeof genreResponse>;

export const genreCreateBody = z
  .object({
    name: z
      .string()
      .min(1)
      .max(100)
      .refine((name) => !name.includes('\u0000'), 'Text must not contain NUL characters'),
  })
  .meta({ id: 'GenreCreate' });

export type GenreCreateBody = z.infer<typeof genreCreateBody>;
