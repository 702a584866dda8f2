DROP INDEX "ix_books_title";--> statement-breakpoint
DROP INDEX "ix_books_price";--> statement-breakpoint
DROP INDEX "ix_books_created_at";--> statement-breakpoint
CREATE INDEX "ix_books_publish_date" ON "books" USING btree ("publish_date","id");--> statement-breakpoint
CREATE INDEX "ix_books_title" ON "books" USING btree ("title","id");--> statement-breakpoint
CREATE INDEX "ix_books_price" ON "books" USING btree ("price","id");--> statement-breakpoint
CREATE INDEX "ix_books_created_at" ON "books" USING btree ("created_at" DESC NULLS FIRST,"id");