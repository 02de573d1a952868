import type { Queryable } from "@hydra/db";
import { DEPLOYMENT_COLUMNS, type DeploymentRow } from "./rows";

export async function findDeploymentByIdempotencyKey(
  db: Queryable,
  projectId: string,
  key: string,
): Promise<DeploymentRow | null> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_findDeploymentByIdempotencyKey",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
           WHERE d.project_id = $1 AND d.idempotency_key = $2`,
    values: [projectId, key],
  });
  return result.rows[0] ?? null;
}
