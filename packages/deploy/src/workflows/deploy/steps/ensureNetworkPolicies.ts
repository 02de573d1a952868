import type { SentinelRef } from "@hydra/cluster";
import { perRegion, type DeployScope } from "../scope";

/** Step `ensure-network-policy`: only the region's sentinel may reach the deployment's pods. */
export function ensureNetworkPolicies(scope: DeployScope, sentinels: Record<string, SentinelRef>) {
  const { deps, id, owner, namespace } = scope;
  return perRegion(scope.regions, (region) =>
    deps.cluster.ensureNetworkPolicy(region, {
      ...owner,
      deploymentId: id,
      namespace,
      port: deps.settings.appPort,
      sentinel: { namespace: sentinels[region]!.namespace, selector: sentinels[region]!.selector },
    }),
  );
}
