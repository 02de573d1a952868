import type { Queryable } from "@hydra/db";
import type { GatewayConfigJson } from "./rows";

/** Stores the deployment's own gateway config: what a later SwitchDomains to it copies. */
export async function setDeploymentGatewayConfig(
  db: Queryable,
  deploymentId: string,
  config: GatewayConfigJson,
): Promise<void> {
  await db.query({
    name: "routing_setDeploymentGatewayConfig",
    text: "UPDATE deployments SET gateway_config = $2::jsonb, updated_at = now() WHERE id = $1",
    values: [deploymentId, JSON.stringify(config)],
  });
}
