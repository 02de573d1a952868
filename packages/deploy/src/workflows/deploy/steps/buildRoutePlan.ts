import type { SentinelRef } from "@hydra/cluster";
import { gatewayConfigFor } from "../../../gateway-config";
import { buildRoutes, type Route } from "../../../routes";
import type { GatewayConfigInit } from "../../deps";
import type { DeployScope } from "../scope";

export interface RoutePlan {
  routes: Route[];
  gatewayConfig: GatewayConfigInit;
}

/** Step `build-routes`: the deployment's domains (SPEC §3 step 9) and the gateway config they serve. */
export async function buildRoutePlan(scope: DeployScope, sentinels: Record<string, SentinelRef>): Promise<RoutePlan> {
  const { deps, id, meta, owner } = scope;
  const routes = buildRoutes({
    projectSlug: meta.project.slug,
    workspaceSlug: meta.workspace.slug,
    environmentSlug: meta.environment.slug,
    production: meta.environment.production,
    branch: meta.deployment.branch,
    commitSha: meta.deployment.commitSha,
    deploymentId: id,
    apex: deps.settings.apex,
  });
  return {
    routes,
    gatewayConfig: gatewayConfigFor({ deploymentId: id, ...owner, port: deps.settings.appPort, sentinels }),
  };
}
