import type { Queryable } from "@hydra/db";
import { DEPLOYMENT_COLUMNS, type DeploymentRow } from "./rows";

/**
 * Deployments whose Deploy run was never created: CreateDeployment inserts the row, then starts
 * the run, and a crash between the two leaves the row alone. Oldest first.
 */
export async function findUnstartedDeployments(db: Queryable, limit = 100): Promise<DeploymentRow[]> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_findUnstartedDeployments",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
           WHERE d.status = 'pending' AND d.workflow_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM workflow_runs r WHERE r.id = d.workflow_id)
           ORDER BY d.sequence
           LIMIT $1`,
    values: [limit],
  });
  return result.rows;
}
