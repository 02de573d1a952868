-- The remote build (Depot) of a git deployment, recorded as soon as it exists, so a retried
-- build step waits for it instead of starting a second one.
ALTER TABLE "deployments" ADD COLUMN "build_id" TEXT;
