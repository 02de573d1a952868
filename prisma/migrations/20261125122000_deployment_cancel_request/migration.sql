-- A cancel (or supersede) is claimed on the deployment row first: it and the move to NETWORK
-- (routing) are conditional updates of the same row, so exactly one of them wins.
ALTER TABLE "deployments" ADD COLUMN "cancel_requested_at" TIMESTAMPTZ(3),
ADD COLUMN "cancel_reason" TEXT;
