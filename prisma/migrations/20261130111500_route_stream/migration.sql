-- The route stream's outbox (WatchRoutes). Every routing transaction that changes served
-- routes writes one route_changes row, its position taken from the single route_stream_head
-- row as the transaction's last statement. The head's row lock is held until commit, so
-- positions are consecutive and commit in position order: a reader that has seen position N
-- can never later find a committed N-1 (the classic outbox trap of sequences taken early).
CREATE TABLE "route_stream_head" (
    "id" BOOLEAN NOT NULL DEFAULT true,
    "position" BIGINT NOT NULL,
    CONSTRAINT "route_stream_head_pkey" PRIMARY KEY ("id")
);
INSERT INTO "route_stream_head" ("id", "position") VALUES (true, 0);

CREATE TABLE "route_changes" (
    "position" BIGINT NOT NULL,
    "project_id" TEXT NOT NULL,
    "routing_generation" BIGINT NOT NULL,
    -- [{hostname, deploymentId, config}] as upserted into gateway_configs in the same transaction.
    "routes" JSONB NOT NULL,
    "committed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT "route_changes_pkey" PRIMARY KEY ("position")
);
