import { newId } from "@hydra/db";
import type { SentinelRef, WorkloadRef } from "@hydra/cluster";
import { recordSentinel } from "../../sql/recordSentinel";
import type { DeployScope } from "./scope";

/**
 * What the Deploy steps apply in one region, each an idempotent server-side apply: used by
 * the steps (every region) and by reconciliation (a region whose cluster forgot them).
 */

/** The workspace's namespace and the environment's sentinel. */
export async function ensureSentinelIn(scope: DeployScope, region: string): Promise<SentinelRef> {
  const { deps, owner, namespace } = scope;
  const { cluster, settings, pool } = deps;
  await cluster.ensureNamespace(region, namespace);
  const ref = await cluster.ensureSentinel(region, {
    ...owner,
    namespace,
    image: settings.sentinel.image,
    port: settings.sentinel.port,
    replicas: sentinelReplicas(scope),
    ...(settings.sentinel.resources ? { resources: settings.sentinel.resources } : {}),
  });
  await recordSentinel(pool, { id: newId("sentinel"), ...owner, region, namespace: ref.namespace, name: ref.name });
  return ref;
}

/** How many pods the environment's sentinel runs in each region. */
export function sentinelReplicas(scope: DeployScope): number {
  const { replicas } = scope.deps.settings.sentinel;
  return scope.meta.environment.production ? replicas.production : replicas.preview;
}

/** Only the region's sentinel may reach the deployment's pods. */
export function ensureNetworkPolicyIn(scope: DeployScope, region: string, sentinel: SentinelRef) {
  const { deps, id, owner, namespace } = scope;
  return deps.cluster.ensureNetworkPolicy(region, {
    ...owner,
    deploymentId: id,
    namespace,
    port: deps.settings.appPort,
    sentinel: { namespace: sentinel.namespace, selector: sentinel.selector },
  });
}

/** The deployment's Deployment and Service at `replicas`. */
export function applyWorkloadIn(
  scope: DeployScope,
  region: string,
  image: string,
  replicas: number,
): Promise<WorkloadRef> {
  const { deps, id, meta, owner, namespace } = scope;
  return deps.cluster.applyWorkload(region, {
    ...owner,
    deploymentId: id,
    namespace,
    image,
    command: meta.deployment.command,
    replicas,
    port: deps.settings.appPort,
  });
}
