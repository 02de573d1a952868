import type { WorkloadRef } from "@hydra/cluster";
import { setTopology } from "../../../sql/setTopology";
import { perRegion, type DeployScope } from "../scope";

/** Step `apply-workloads`: the deployment's Deployment and Service in every region. */
export function applyWorkloads(scope: DeployScope, image: string): Promise<Record<string, WorkloadRef>> {
  const { deps, id, meta, owner, namespace } = scope;
  return perRegion(scope.regions, async (region): Promise<WorkloadRef> => {
    const ref = await deps.cluster.applyWorkload(region, {
      ...owner,
      deploymentId: id,
      namespace,
      image,
      command: meta.deployment.command,
      replicas: meta.environment.regions[region]!,
      port: deps.settings.appPort,
    });
    await setTopology(deps.pool, id, region, "deploying", ref);
    return ref;
  });
}
