-- Engine instances that announce their liveness with a session-level advisory lock
-- (packages/workflow/src/owner-session.ts): while an owner's lock is held its process is alive;
-- once the lock stays free, sweepers reclaim its runs at once instead of waiting for the lease.
CREATE TABLE "workflow_owners" (
    "owner" TEXT NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workflow_owners_pkey" PRIMARY KEY ("owner")
);
