CREATE TABLE "email_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"purpose" varchar(20) NOT NULL,
	"token_hash" varchar(64) NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ck_email_tokens_purpose" CHECK ("email_tokens"."purpose" IN ('verify_email', 'password_reset'))
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email_verified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ix_email_tokens_token_hash" ON "email_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "ix_email_tokens_user_id" ON "email_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "ix_email_tokens_expires_at" ON "email_tokens" USING btree ("expires_at");--> statement-breakpoint
-- Accounts created by Google sign-in (no password, linked to Google) had their address verified by Google.
UPDATE "users" SET "email_verified_at" = "created_at"
 WHERE "hashed_password" IS NULL
   AND EXISTS (SELECT 1 FROM "oauth_accounts" o WHERE o."user_id" = "users"."id");
