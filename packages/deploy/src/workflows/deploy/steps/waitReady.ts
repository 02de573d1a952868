import type { InstanceInfo, WorkloadRef } from "@hydra/cluster";
import { replaceInstances } from "../../../sql/replaceInstances";
import { setTopology } from "../../../sql/setTopology";
import { waitReadyReconciling } from "../reapplyRegion";
import { perRegion, type DeployScope } from "../scope";

export interface ReadyInstance {
  id: string;
  address: string;
  region: string;
  status: string;
}

/**
 * Step `wait-ready`: every region's desired replicas ready before `deadline`; their instances
 * recorded. A region whose cluster forgot the workload gets it applied again (reconcile).
 */
export async function waitReady(
  scope: DeployScope,
  workloads: Record<string, WorkloadRef>,
  deadline: Date,
  signal: AbortSignal,
): Promise<ReadyInstance[]> {
  const { deps, id, meta, regions } = scope;
  const byRegion = await perRegion(regions, async (region) => {
    const ready = await waitReadyReconciling(deps, id, region, workloads[region]!, meta.environment.regions[region]!, {
      deadline,
      signal,
    });
    await setTopology(deps.pool, id, region, "ready");
    return ready;
  });
  const all: InstanceInfo[] = regions.flatMap((r) => byRegion[r]!);
  await replaceInstances(deps.pool, id, all);
  return all.map((i) => ({ id: i.id, address: i.address, region: i.region, status: i.status }));
}
