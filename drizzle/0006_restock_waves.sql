CREATE TABLE "restock_waves" (
	"id" serial PRIMARY KEY NOT NULL,
	"book_id" integer NOT NULL,
	"stock_change_id" integer,
	"book_title" text NOT NULL,
	"book_author" text NOT NULL,
	"hold_until" timestamp with time zone,
	"notified_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"fanned_out_at" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "uq_notifications_pre_booking";--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "wave_id" integer;--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD COLUMN "wave_id" integer;--> statement-breakpoint
ALTER TABLE "restock_waves" ADD CONSTRAINT "restock_waves_book_id_books_id_fk" FOREIGN KEY ("book_id") REFERENCES "public"."books"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restock_waves" ADD CONSTRAINT "restock_waves_stock_change_id_stock_changes_id_fk" FOREIGN KEY ("stock_change_id") REFERENCES "public"."stock_changes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ix_restock_waves_book_id" ON "restock_waves" USING btree ("book_id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_notifications_pre_booking_wave" ON "notifications" USING btree ("pre_booking_id","wave_id");--> statement-breakpoint
CREATE INDEX "ix_pre_bookings_requeued" ON "pre_bookings" USING btree ("book_id") WHERE "pre_bookings"."status" = 'waiting' AND "pre_bookings"."wave_id" IS NOT NULL;