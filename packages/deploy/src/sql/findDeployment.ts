import { DEPLOYMENT_COLUMNS, type DeploymentRow, type Queryable } from "./rows";

export async function findDeployment(db: Queryable, id: string): Promise<DeploymentRow | null> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_findDeployment",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id WHERE d.id = $1`,
    values: [id],
  });
  return result.rows[0] ?? null;
}

export async function findDeploymentByIdempotencyKey(db: Queryable, projectId: string, key: string): Promise<DeploymentRow | null> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_findDeploymentByIdempotencyKey",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
           WHERE d.project_id = $1 AND d.idempotency_key = $2`,
    values: [projectId, key],
  });
  return result.rows[0] ?? null;
}

/** Whether any domain points at the deployment (it serves traffic, or is about to). */
export async function isRouted(db: Queryable, deploymentId: string): Promise<boolean> {
  const result = await db.query({
    name: "deploy_isRouted",
    text: "SELECT 1 FROM domains WHERE deployment_id = $1 LIMIT 1",
    values: [deploymentId],
  });
  return (result.rowCount ?? 0) > 0;
}
