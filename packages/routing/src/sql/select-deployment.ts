import type { GatewayConfigJson, Queryable } from "./queryable";

export interface DeploymentRow {
  id: string;
  workspaceId: string;
  projectId: string;
  environmentId: string;
  sequence: bigint;
  gatewayConfig: GatewayConfigJson | null;
}

export async function selectDeployment(db: Queryable, deploymentId: string): Promise<DeploymentRow | undefined> {
  const { rows } = await db.query<DeploymentRow>(
    `SELECT id, workspace_id AS "workspaceId", project_id AS "projectId", environment_id AS "environmentId",
            sequence, gateway_config AS "gatewayConfig"
       FROM deployments WHERE id = $1`,
    [deploymentId],
  );
  return rows[0];
}
