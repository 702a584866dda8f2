CREATE TABLE "email_deliveries" (
	"cause" varchar(255) PRIMARY KEY NOT NULL,
	"recipient" varchar(255) NOT NULL,
	"subject" varchar(500) NOT NULL,
	"message_id" varchar(255) NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
);
