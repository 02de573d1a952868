import type { WorkloadRef } from "@hydra/cluster";
import { setTopology } from "../../../sql/setTopology";
import { applyWorkloadIn } from "../regionSteps";
import { perRegion, type DeployScope } from "../scope";

/** Step `apply-workloads`: the deployment's Deployment and Service in every region. */
export function applyWorkloads(scope: DeployScope, image: string): Promise<Record<string, WorkloadRef>> {
  return perRegion(scope.regions, async (region): Promise<WorkloadRef> => {
    const ref = await applyWorkloadIn(scope, region, image, scope.meta.environment.regions[region]!);
    await setTopology(scope.deps.pool, scope.id, region, "deploying", ref);
    return ref;
  });
}
