import type { GatewayConfigJson, Queryable } from "./queryable";

/** Stores the deployment's own gateway config: what a later SwitchDomains to it copies. */
export async function updateDeploymentGatewayConfig(db: Queryable, deploymentId: string, config: GatewayConfigJson): Promise<void> {
  await db.query("UPDATE deployments SET gateway_config = $2::jsonb, updated_at = now() WHERE id = $1", [
    deploymentId,
    JSON.stringify(config),
  ]);
}
