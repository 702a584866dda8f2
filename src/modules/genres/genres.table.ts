import { pgTable, serial, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { timestamptzNow } from '../../db/timestamptz.js';

export const genres = pgTable(
  'genres',
  {
    id: serial('id').primaryKey(),
    name: varchar('name', { length: 100 }).notNull(),
    createdAt: timestamptzNow('created_at'),
  },
  (t) => [uniqueIndex('ix_genres_name').on(t.name)],
);
