import type { Queryable } from "@hydra/db";
import { DEPLOYMENT_COLUMNS, type DeploymentRow } from "./rows";

export async function findDeployment(db: Queryable, id: string): Promise<DeploymentRow | null> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_findDeployment",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id WHERE d.id = $1`,
    values: [id],
  });
  return result.rows[0] ?? null;
}
