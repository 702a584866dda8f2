ALTER TABLE "notifications" DROP CONSTRAINT "notifications_book_id_books_id_fk";
--> statement-breakpoint
ALTER TABLE "pre_bookings" DROP CONSTRAINT "pre_bookings_stock_change_id_stock_changes_id_fk";
