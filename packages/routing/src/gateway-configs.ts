import { clone, toJson } from "@bufbuild/protobuf";
import type { Queryable } from "@hydra/db";
import { type GatewayConfig, GatewayConfigSchema } from "@hydra/proto/hydra/v1";
import { RoutingError } from "./errors";
import type { DeploymentRow, GatewayConfigJson, StoredRoute } from "./sql/rows";
import { upsertGatewayConfigs } from "./sql/upsertGatewayConfigs";

/** The config stored for a deployment and its hostnames; it always names the deployment it routes to. */
export function gatewayConfigJson(config: GatewayConfig, deployment: DeploymentRow): GatewayConfigJson {
  const copy = clone(GatewayConfigSchema, config);
  copy.deploymentId = deployment.id;
  copy.workspaceId ||= deployment.workspace_id;
  copy.projectId ||= deployment.project_id;
  copy.environmentId ||= deployment.environment_id;
  return toJson(GatewayConfigSchema, copy, { alwaysEmitImplicit: true }) as GatewayConfigJson;
}

/**
 * Upserts the gateway config of every served (non-local) hostname that points at `deployment`:
 * written before the domain pointers move, so the data plane is ready before it is pointed at.
 * Returns the routes written: the transaction's entry in the route stream.
 */
export async function writeGatewayConfigs(
  tx: Queryable,
  deployment: DeploymentRow,
  config: GatewayConfigJson | null,
  hostnames: string[],
  isLocal: (hostname: string) => boolean,
): Promise<StoredRoute[]> {
  const served = hostnames.filter((name) => !isLocal(name));
  if (served.length === 0) return [];
  if (!config) {
    throw new RoutingError(
      "failed_precondition",
      `deployment ${deployment.id} has no gateway config: pass gateway_config to route ${served.slice(0, 3).join(", ")}${served.length > 3 ? ", …" : ""}`,
    );
  }
  await upsertGatewayConfigs(
    tx,
    served.map((hostname) => ({
      hostname,
      workspaceId: deployment.workspace_id,
      projectId: deployment.project_id,
      environmentId: deployment.environment_id,
      deploymentId: deployment.id,
      config,
    })),
  );
  return served.map((hostname) => ({ hostname, deploymentId: deployment.id, config }));
}
