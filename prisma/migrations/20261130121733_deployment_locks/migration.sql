-- A deployment's lock as a lease row, taken and renewed in short statements, so a holder keeps
-- no pooled connection for the length of a wake (up to HYDRA_READY_TIMEOUT).
CREATE TABLE "deployment_locks" (
    "deployment_id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "deployment_locks_pkey" PRIMARY KEY ("deployment_id")
);
