import type { Queryable } from "@hydra/db";
import type { DeploymentEventRow } from "./rows";

/** Events of a deployment after `afterId` (0 for all), oldest first. */
export async function listDeploymentEvents(
  db: Queryable,
  deploymentId: string,
  afterId: bigint,
  limit = 500,
): Promise<DeploymentEventRow[]> {
  const result = await db.query<DeploymentEventRow>({
    name: "deploy_listDeploymentEvents",
    text: `SELECT id, deployment_id, kind, payload, created_at FROM deployment_events
           WHERE deployment_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    values: [deploymentId, afterId, limit],
  });
  return result.rows;
}
