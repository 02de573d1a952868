-- The unstarted-deployments scan (every minute: status = 'pending' ORDER BY sequence) read every
-- deployment; the retention deletes find finished runs by end time and operations by age.
CREATE INDEX "deployments_status_sequence_idx" ON "deployments"("status", "sequence");
CREATE INDEX "workflow_runs_status_ended_at_idx" ON "workflow_runs"("status", "ended_at");
CREATE INDEX "routing_operations_created_at_idx" ON "routing_operations"("created_at");
