-- The cluster workload a topology applied (a WorkloadRef: namespace, name, selector, port),
-- so standby, wake and cleanup can address it without recomputing it.
ALTER TABLE "deployment_topologies" ADD COLUMN "workload" JSONB;
