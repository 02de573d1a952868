import type { SentinelRef } from "@hydra/cluster";
import { ensureSentinelIn } from "../regionSteps";
import { perRegion, type DeployScope } from "../scope";

/** Step `ensure-sentinels`: the workspace's namespace and the environment's sentinel in every region. */
export function ensureSentinels(scope: DeployScope): Promise<Record<string, SentinelRef>> {
  return perRegion(scope.regions, (region) => ensureSentinelIn(scope, region));
}
