import { ClusterError, type SentinelRef, type WorkloadRef } from "@hydra/cluster";
import { TerminalError } from "@hydra/workflow";
import { loadDeployMetadata } from "../../sql/loadDeployMetadata";
import type { DeployDeps } from "../deps";
import { applyWorkloadIn, ensureNetworkPolicyIn, ensureSentinelIn, sentinelReplicas } from "./regionSteps";
import { deployScope, type DeployScope } from "./scope";

/** Whether the cluster answered that an object hydra applied is not there (anymore). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ClusterError && error.kind === "not_found";
}

/**
 * Reconciliation: re-applies in one region what its cluster forgot about a deployment (a
 * simulated cluster restarted without its state file, a Deployment or namespace deleted behind
 * hydra's back) from the desired state in the database: the namespace, the environment's
 * sentinel, the network policy and the workload at `replicas`. Idempotent: what still exists
 * is left as it is.
 */
export async function reapplyRegion(
  deps: DeployDeps,
  deploymentId: string,
  region: string,
  replicas: number,
): Promise<WorkloadRef> {
  const meta = await loadDeployMetadata(deps.pool, deploymentId);
  if (!meta?.deployment.image) throw new TerminalError(`deployment ${deploymentId} has no image to apply again`);
  const scope = deployScope(deps, meta);
  const sentinel = await ensureSentinelIn(scope, region);
  await ensureNetworkPolicyIn(scope, region, sentinel);
  return applyWorkloadIn(scope, region, meta.deployment.image, replicas);
}

/**
 * `cluster.waitReady`, re-applying the region's objects first when the cluster has lost the
 * workload; the same deadline holds for the whole.
 */
export async function waitReadyReconciling(
  deps: DeployDeps,
  deploymentId: string,
  region: string,
  ref: WorkloadRef,
  replicas: number,
  options: { deadline: Date; signal: AbortSignal },
) {
  try {
    return await deps.cluster.waitReady(region, ref, replicas, options);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await reapplyRegion(deps, deploymentId, region, replicas);
    return deps.cluster.waitReady(region, ref, replicas, options);
  }
}

/**
 * `cluster.waitSentinel` for the environment's sentinel in `region`, applying it again first
 * when its cluster has lost it (deleted behind hydra's back); the same deadline holds for the whole.
 */
export async function waitSentinelReconciling(
  scope: DeployScope,
  region: string,
  ref: SentinelRef,
  options: { deadline: Date; signal: AbortSignal },
): Promise<void> {
  const replicas = sentinelReplicas(scope);
  try {
    await scope.deps.cluster.waitSentinel(region, ref, replicas, options);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const again = await ensureSentinelIn(scope, region);
    await scope.deps.cluster.waitSentinel(region, again, replicas, options);
  }
}
