CREATE TABLE "restock_policies" (
	"book_id" integer PRIMARY KEY NOT NULL,
	"policy" varchar(20) NOT NULL,
	"hold_seconds" integer NOT NULL,
	"updated_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ck_restock_policies_policy" CHECK ("restock_policies"."policy" IN ('broadcast', 'fifo')),
	CONSTRAINT "ck_restock_policies_hold_seconds" CHECK ("restock_policies"."hold_seconds" BETWEEN 10 AND 604800)
);
--> statement-breakpoint
ALTER TABLE "stock_changes" ADD COLUMN "held_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "stock_changes" ADD COLUMN "policy" varchar(20) DEFAULT 'broadcast' NOT NULL;--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD COLUMN "hold_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD COLUMN "hold_expired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD COLUMN "expired_holds" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "restock_policies" ADD CONSTRAINT "restock_policies_book_id_books_id_fk" FOREIGN KEY ("book_id") REFERENCES "public"."books"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "restock_policies" ADD CONSTRAINT "restock_policies_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ix_pre_bookings_book_active_holds" ON "pre_bookings" USING btree ("book_id","hold_expires_at") WHERE "pre_bookings"."status" = 'notified' AND "pre_bookings"."hold_expires_at" IS NOT NULL AND "pre_bookings"."hold_expired_at" IS NULL AND "pre_bookings"."converted_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_pre_bookings_user_book_active_hold" ON "pre_bookings" USING btree ("user_id","book_id") WHERE "pre_bookings"."status" = 'notified' AND "pre_bookings"."hold_expires_at" IS NOT NULL AND "pre_bookings"."hold_expired_at" IS NULL AND "pre_bookings"."converted_at" IS NULL;--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD CONSTRAINT "ck_pre_bookings_hold_waiting" CHECK ("pre_bookings"."status" <> 'waiting' OR "pre_bookings"."hold_expires_at" IS NULL);--> statement-breakpoint
ALTER TABLE "pre_bookings" ADD CONSTRAINT "ck_pre_bookings_hold_expired" CHECK ("pre_bookings"."hold_expired_at" IS NULL OR "pre_bookings"."hold_expires_at" IS NOT NULL);