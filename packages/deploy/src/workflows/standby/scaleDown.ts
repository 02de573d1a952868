import type { WorkloadRef } from "@hydra/cluster";
import { listTopologyWorkloads } from "../../sql/listTopologyWorkloads";
import { setTopology } from "../../sql/setTopology";
import { stopInstances } from "../../sql/stopInstances";
import type { DeployDeps } from "../deps";

/** Scales every region's workload of a deployment to zero (missing workloads are fine). */
export async function scaleDown(
  deps: DeployDeps,
  deploymentId: string,
  topologyStatus: "failed" | "standby",
): Promise<void> {
  const topologies = await listTopologyWorkloads(deps.pool, deploymentId);
  await Promise.all(
    topologies
      .filter((t) => t.workload !== null)
      .map(async (t) => {
        await deps.cluster.scale(t.region, t.workload as WorkloadRef, 0);
        await setTopology(deps.pool, deploymentId, t.region, topologyStatus);
      }),
  );
  await stopInstances(deps.pool, deploymentId);
}
