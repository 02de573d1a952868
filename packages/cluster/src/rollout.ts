/**
 * Reading a Deployment's rollout: whether the pods hydra counts as ready run the template it
 * applied last, and whether admission refuses to create them.
 */

/** The fields of an apps/v1 Deployment that hydra reads. */
export interface DeploymentView {
  metadata: { name: string; generation?: number; resourceVersion?: string; deletionTimestamp?: string };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
}

export type Rollout =
  /** Every live pod runs the current template, and at least `minReady` of them are available. */
  | { state: "complete" }
  | { state: "progressing"; waitingFor: string }
  /**
   * The ReplicaSet cannot create pods (`ReplicaFailure`, reason `FailedCreate`): an admission
   * plugin refused them (PodSecurity, ResourceQuota, LimitRange, a webhook). Its message names
   * the policy, e.g. `pods "x" is forbidden: violates PodSecurity "restricted:latest": …`.
   */
  | { state: "refused"; reason: string; message: string };

/**
 * Where the rollout of `deployment` stands for `minReady` instances. Complete means: the
 * controller has seen the latest spec (observedGeneration), at least `minReady` replicas run the
 * current template (updatedReplicas) and are available, and no pod of an older template is left
 * (replicas = updatedReplicas), so every ready pod is one of the current template.
 */
export function rolloutOf(deployment: DeploymentView, minReady: number): Rollout {
  const status = deployment.status ?? {};
  const failure = status.conditions?.find((c) => c.type === "ReplicaFailure" && c.status === "True");
  if (failure)
    return {
      state: "refused",
      reason: failure.reason ?? "FailedCreate",
      message: failure.message ?? "the ReplicaSet cannot create pods",
    };
  const desired = deployment.spec?.replicas ?? 1;
  // Just scaled down: the status may still count the pods being removed.
  if (desired < minReady)
    return { state: "progressing", waitingFor: `a scale-up: the Deployment asks for ${desired} replicas` };
  const generation = deployment.metadata.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  if (observed < generation)
    return {
      state: "progressing",
      waitingFor: `the Deployment controller to observe generation ${generation} (seen: ${observed})`,
    };
  const updated = status.updatedReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const total = status.replicas ?? 0;
  if (updated < minReady)
    return { state: "progressing", waitingFor: `${updated} of ${minReady} replicas updated to the current template` };
  if (total > updated)
    return { state: "progressing", waitingFor: `${total - updated} replicas of an older template still running` };
  if (available < minReady)
    return { state: "progressing", waitingFor: `${available} of ${minReady} replicas available` };
  return { state: "complete" };
}
