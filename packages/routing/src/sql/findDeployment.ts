import type { Queryable } from "@hydra/db";
import type { DeploymentRow } from "./rows";

export async function findDeployment(db: Queryable, deploymentId: string): Promise<DeploymentRow | undefined> {
  const { rows } = await db.query<DeploymentRow>({
    name: "routing_findDeployment",
    text: "SELECT id, workspace_id, project_id, environment_id, sequence, gateway_config FROM deployments WHERE id = $1",
    values: [deploymentId],
  });
  return rows[0];
}
