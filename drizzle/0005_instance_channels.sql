CREATE TABLE "kiloclaw_instance_channels" (
	"instance_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"credentials" text NOT NULL,
	"hints" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "kiloclaw_instance_channels_instance_id_channel_pk" PRIMARY KEY("instance_id","channel")
);
--> statement-breakpoint
ALTER TABLE "kiloclaw_instance_channels" ADD CONSTRAINT "kiloclaw_instance_channels_instance_id_kiloclaw_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."kiloclaw_instances"("id") ON DELETE cascade ON UPDATE no action;