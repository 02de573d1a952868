import type { WorkloadRef } from "@hydra/cluster";
import { findDesiredState } from "../../sql/findDesiredState";
import { listTopologyWorkloads } from "../../sql/listTopologyWorkloads";
import { replaceInstances } from "../../sql/replaceInstances";
import { setDesiredState } from "../../sql/setDesiredState";
import { setTopology } from "../../sql/setTopology";
import { withDeploymentLock } from "../../sql/withDeploymentLock";
import type { DeployDeps } from "../deps";
import { isNotFound, reapplyRegion, waitReadyReconciling } from "../deploy/reapplyRegion";

export class NotWakeableError extends Error {
  override name = "NotWakeableError";
  readonly transient = false;
}

/**
 * Makes sure a deployment about to become live runs: scales a deployment in standby back to
 * its desired replicas and waits for them (a running one returns at once). Throws
 * `NotWakeableError` when nothing was ever applied for it. Holds the deployment's lock, so a
 * standby timer cannot scale it down meanwhile.
 */
export async function wakeDeployment(
  deps: DeployDeps,
  deploymentId: string,
  deadline: Date,
  signal: AbortSignal,
): Promise<void> {
  await withDeploymentLock(deps.pool, deploymentId, async (lockLost) => {
    const stop = AbortSignal.any([signal, lockLost]);
    const topologies = await listTopologyWorkloads(deps.pool, deploymentId);
    if (topologies.length === 0 || topologies.some((t) => t.workload === null)) {
      throw new NotWakeableError(`deployment ${deploymentId} has no workloads to scale up`);
    }
    const state = await findDesiredState(deps.pool, deploymentId);
    if (state?.desiredState === "running" && topologies.every((t) => t.status === "ready")) return;
    const instances = await Promise.all(
      topologies.map(async (t) => {
        const ref = t.workload as WorkloadRef;
        // A cluster that forgot the workload (or its namespace) gets it applied again.
        await deps.cluster.scale(t.region, ref, t.desiredReplicas).catch(async (error: unknown) => {
          if (!isNotFound(error)) throw error;
          await reapplyRegion(deps, deploymentId, t.region, t.desiredReplicas);
        });
        const ready = await waitReadyReconciling(deps, deploymentId, t.region, ref, t.desiredReplicas, {
          deadline,
          signal: stop,
        });
        await setTopology(deps.pool, deploymentId, t.region, "ready");
        return ready;
      }),
    );
    await replaceInstances(deps.pool, deploymentId, instances.flat());
    await setDesiredState(deps.pool, deploymentId, "running");
  });
}
