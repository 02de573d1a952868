-- The route stream without a global lock in the routing transaction. Before, every routing
-- commit took its position from the single route_stream_head row as its last statement and
-- held that row lock through COMMIT (the WAL flush), so the commits of all projects queued
-- behind each other's fsync. Now the routing transaction only inserts its route_changes row,
-- numbered by "id" from a sequence taken in that last statement, with "position" NULL; the
-- sequencer (packages/routing/src/sql/sequenceRouteChanges.ts) gives committed rows their
-- consecutive positions afterwards, in id order, under a lock that no routing transaction
-- takes. The reasoning is in packages/routing/README.md ("The route stream").
ALTER TABLE "route_changes" ADD COLUMN "id" BIGINT;
-- Rows written before: already sequenced, and their ids keep their order.
UPDATE "route_changes" SET "id" = "position";
CREATE SEQUENCE "route_changes_id_seq" OWNED BY "route_changes"."id";
SELECT setval('"route_changes_id_seq"', COALESCE((SELECT max("id") FROM "route_changes"), 0) + 1, false);
ALTER TABLE "route_changes" DROP CONSTRAINT "route_changes_pkey";
ALTER TABLE "route_changes" ALTER COLUMN "id" SET DEFAULT nextval('"route_changes_id_seq"'),
    ALTER COLUMN "id" SET NOT NULL,
    ALTER COLUMN "position" DROP NOT NULL,
    ADD CONSTRAINT "route_changes_pkey" PRIMARY KEY ("id");
-- Readers page by position; the sequencer finds the unsequenced rows (position IS NULL) here too.
CREATE UNIQUE INDEX "route_changes_position_key" ON "route_changes"("position");
