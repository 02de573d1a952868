import type { InstanceInfo, SentinelRef, WorkloadRef } from "@hydra/cluster";
import { replaceInstances } from "../../../sql/replaceInstances";
import { setTopology } from "../../../sql/setTopology";
import { waitReadyReconciling, waitSentinelReconciling } from "../reapplyRegion";
import { perRegion, type DeployScope } from "../scope";

export interface ReadyInstance {
  id: string;
  address: string;
  region: string;
  status: string;
}

/**
 * Step `wait-ready`: in every region, the desired replicas ready and the environment's sentinel
 * serving before `deadline` (no route may move to a region whose sentinel has no ready pod);
 * the instances recorded. A region whose cluster forgot the workload or the sentinel gets it
 * applied again (reconcile). The first failure ends the other waits.
 */
export async function waitReady(
  scope: DeployScope,
  workloads: Record<string, WorkloadRef>,
  sentinels: Record<string, SentinelRef>,
  deadline: Date,
  signal: AbortSignal,
): Promise<ReadyInstance[]> {
  const { deps, id, meta, regions } = scope;
  const failed = new AbortController();
  const options = { deadline, signal: AbortSignal.any([signal, failed.signal]) };
  const byRegion = await perRegion(regions, async (region) => {
    const [ready] = await Promise.all([
      waitReadyReconciling(deps, id, region, workloads[region]!, meta.environment.regions[region]!, options),
      waitSentinelReconciling(scope, region, sentinels[region]!, options),
    ]);
    await setTopology(deps.pool, id, region, "ready");
    return ready;
  }).catch((error: unknown) => {
    failed.abort(error);
    throw error;
  });
  const all: InstanceInfo[] = regions.flatMap((r) => byRegion[r]!);
  await replaceInstances(deps.pool, id, all);
  return all.map((i) => ({ id: i.id, address: i.address, region: i.region, status: i.status }));
}
