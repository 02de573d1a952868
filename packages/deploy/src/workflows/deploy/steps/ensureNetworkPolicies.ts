import type { SentinelRef } from "@hydra/cluster";
import { ensureNetworkPolicyIn } from "../regionSteps";
import { perRegion, type DeployScope } from "../scope";

/** Step `ensure-network-policy`: only the region's sentinel may reach the deployment's pods. */
export function ensureNetworkPolicies(scope: DeployScope, sentinels: Record<string, SentinelRef>) {
  return perRegion(scope.regions, (region) => ensureNetworkPolicyIn(scope, region, sentinels[region]!));
}
