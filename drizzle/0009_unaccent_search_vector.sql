ALTER TABLE "books" drop column "search_vector";--> statement-breakpoint
ALTER TABLE "books" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (setweight(to_tsvector('simple', immutable_unaccent(coalesce("books"."title", ''))), 'A') || setweight(to_tsvector('simple', immutable_unaccent(coalesce("books"."author", ''))), 'B')) STORED;--> statement-breakpoint
ALTER TABLE "books" ADD COLUMN "author_unaccented" text GENERATED ALWAYS AS (immutable_unaccent("books"."author")) STORED;--> statement-breakpoint
-- Dropping the column dropped its GIN index: the same index on the new column.
CREATE INDEX "ix_books_search_vector" ON "books" USING gin ("search_vector");
