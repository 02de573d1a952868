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
  const { deps, id, owner } = scope;
  return {
    routes: generatedRoutes(scope),
    gatewayConfig: gatewayConfigFor({ deploymentId: id, ...owner, port: deps.settings.appPort, sentinels }),
  };
}

/** The deployment's generated names as this version encodes them (domain-label.ts). */
export function generatedRoutes(scope: DeployScope): Route[] {
  const { deps, id, meta } = scope;
  return buildRoutes({
    projectSlug: meta.project.slug,
    workspaceSlug: meta.workspace.slug,
    environmentSlug: meta.environment.slug,
    production: meta.environment.production,
    branch: meta.deployment.branch,
    commitSha: meta.deployment.commitSha,
    deploymentId: id,
    apex: deps.settings.apex,
  });
}

/**
 * The names a deployment may have been routed under: the current scheme's, then the recorded
 * plan's where they differ (an assign-routes answer recorded before an upgrade of the name
 * encoding names those).
 */
export function routedNamesEitherScheme(scope: DeployScope, recorded: RoutePlan): Route[] {
  const current = generatedRoutes(scope);
  const names = new Set(current.map((r) => r.name));
  return [...current, ...recorded.routes.filter((r) => !names.has(r.name))];
}
