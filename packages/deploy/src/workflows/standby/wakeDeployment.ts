import type { WorkloadRef } from "@hydra/cluster";
import { TerminalError } from "@hydra/workflow";
import { findDesiredState } from "../../sql/findDesiredState";
import { listTopologyWorkloads } from "../../sql/listTopologyWorkloads";
import { loadDeployMetadata } from "../../sql/loadDeployMetadata";
import { replaceInstances } from "../../sql/replaceInstances";
import { setDesiredState } from "../../sql/setDesiredState";
import { setTopology } from "../../sql/setTopology";
import { withDeploymentLock } from "../../sql/withDeploymentLock";
import type { DeployDeps } from "../deps";
import { isNotFound, reapplyRegion, waitReadyReconciling, waitSentinelReconciling } from "../deploy/reapplyRegion";
import { ensureSentinelIn } from "../deploy/regionSteps";
import { deployScope } from "../deploy/scope";

export class NotWakeableError extends Error {
  override name = "NotWakeableError";
  readonly transient = false;
}

/**
 * Makes sure a deployment about to become live runs: scales a deployment in standby back to
 * its desired replicas and waits for them, and for its environment's sentinel in each region
 * (applied again if the cluster lost it: traffic reaches the deployment only through it); a
 * running one returns at once. Throws `NotWakeableError` when nothing was ever applied for
 * it. Holds the deployment's lock, so a standby timer cannot scale it down meanwhile.
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
    const meta = await loadDeployMetadata(deps.pool, deploymentId);
    if (!meta) throw new TerminalError(`deployment ${deploymentId} has no metadata to wake it with`);
    const scope = deployScope(deps, meta);
    // The first region or wait to fail ends the others.
    const failed = new AbortController();
    const options = { deadline, signal: AbortSignal.any([stop, failed.signal]) };
    const instances = await Promise.all(
      topologies.map(async (t) => {
        const ref = t.workload as WorkloadRef;
        const [ready] = await Promise.all([
          (async () => {
            // A cluster that forgot the workload (or its namespace) gets it applied again.
            await deps.cluster.scale(t.region, ref, t.desiredReplicas).catch(async (error: unknown) => {
              if (!isNotFound(error)) throw error;
              await reapplyRegion(deps, deploymentId, t.region, t.desiredReplicas);
            });
            return waitReadyReconciling(deps, deploymentId, t.region, ref, t.desiredReplicas, options);
          })(),
          // The sentinel is shared by the environment and normally runs; an apply that changes
          // nothing is cheap, and one deleted behind hydra's back comes back before traffic moves.
          ensureSentinelIn(scope, t.region).then((sentinel) =>
            waitSentinelReconciling(scope, t.region, sentinel, options),
          ),
        ]);
        await setTopology(deps.pool, deploymentId, t.region, "ready");
        return ready;
      }),
    ).catch((error: unknown) => {
      failed.abort(error);
      throw error;
    });
    await replaceInstances(deps.pool, deploymentId, instances.flat());
    await setDesiredState(deps.pool, deploymentId, "running");
  });
}
