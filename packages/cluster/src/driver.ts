/**
 * The cluster driver: what the Deploy workflow (SPEC §3) asks of one Kubernetes cluster per
 * region.
 *
 * How the workflow uses it, one durable step each:
 *
 *   5. ensure-sentinels       ensureNamespace(region, namespaceName(workspaceId))
 *                             ensureSentinel(region, { …environment ids, namespace, image, replicas })
 *   6. ensure-network-policy  ensureNetworkPolicy(region, { …deployment ids, namespace, port, sentinel })
 *   7. apply-workloads        applyWorkload(region, spec)            → WorkloadRef (record it in the step output)
 *   8. wait-ready             waitReady(region, ref, desiredReplicas, { deadline })  — all regions in parallel
 *                             → InstanceInfo[] (record them); ClusterDeadlineError → FAILED with its message
 *                             waitSentinel(region, sentinelRef, sentinelReplicas, { deadline }) beside it:
 *                             no route moves to an environment whose sentinel has no ready pod
 *  13. standby                scale(region, ref, 0); wake: scale(region, ref, desired) then waitReady
 *      failure cleanup        scale(region, workloadRef(spec), 0) in every region — it succeeds where nothing
 *                             was applied — keeping the objects for inspection; deleteWorkload removes them
 *
 * Contract of every method:
 * - Idempotent. Objects are written with server-side apply (`application/apply-patch+yaml`,
 *   field manager `hydra`, `force=true`): applying the same spec twice changes nothing (the
 *   resourceVersion stays the same), so a retried or replayed step is a no-op. Names are pure
 *   functions of ids (see names.ts). Deleting what is already gone succeeds.
 * - Rejects only with `ClusterError`: `transient: true` means retry with backoff (5xx, 429,
 *   conflicts, timeouts, connection errors); `transient: false` means fail the step (422 with
 *   the offending `field`, 403, 400, an unknown region, a missed deadline).
 * - Refs are plain JSON, safe to record as step output and pass to a later step or process.
 */

export type DriverKind = "kubernetes" | "simulated";

/** Ids carried by every object hydra creates, as `hydra.dev/*` labels. */
export interface OwnerIds {
  workspaceId: string;
  projectId: string;
  environmentId: string;
}

export interface Resources {
  /** CPU, a Kubernetes quantity: `250m`, `1`. Requests = limits. */
  cpu: string;
  /** Memory, a Kubernetes quantity: `256Mi`, `1Gi`. Requests = limits. */
  memory: string;
}

export type ReadinessCheck =
  /** The container accepts TCP connections on its port (the default). */
  | { type: "tcp" }
  /** `GET path` on the container's port answers 2xx/3xx. */
  | { type: "http"; path: string };

/** Pod Security Standards levels hydra's pod template is built to pass. */
export type PodSecurityLevel = "baseline" | "restricted";

export interface SentinelSpec extends OwnerIds {
  namespace: string;
  image: string;
  /** Overrides the image's entrypoint; absent: the image's own. */
  command?: string[];
  replicas: number;
  /** The proxy's listening port (env `PORT`); default 8080. Its health endpoint listens on port + 1. */
  port?: number;
  /** `host:port` of the activator that wakes a deployment without ready instances (see renderSentinelConfig). */
  activator?: string;
  resources?: Resources;
  env?: Record<string, string>;
  /** As for workloads: "baseline" (default) or "restricted". */
  podSecurity?: PodSecurityLevel;
}

export interface SentinelRef {
  environmentId: string;
  namespace: string;
  /** Name of the sentinel's Deployment and Service. */
  name: string;
  /** Labels selecting the sentinel's pods (what the network policies admit). */
  selector: Record<string, string>;
  /** The proxy's container port. */
  port: number;
  /** The Service's cluster DNS name: `<name>.<namespace>.svc.cluster.local`. */
  host: string;
  /** The Service's port. */
  servicePort: number;
  /** `host:port` where the sentinel is reachable from outside its cluster; absent: in-cluster only. */
  externalAddress?: string;
  resourceVersion: { deployment: string; service: string };
}

export interface NetworkPolicySpec extends OwnerIds {
  deploymentId: string;
  /** The deployment's namespace (the policy lives next to the pods it selects). */
  namespace: string;
  /** The deployment's container port: the only port the sentinel may reach. */
  port: number;
  /** The environment's sentinel in this region. */
  sentinel: Pick<SentinelRef, "namespace" | "selector">;
}

export interface NetworkPolicyRef {
  namespace: string;
  name: string;
  resourceVersion: string;
}

export interface WorkloadSpec extends OwnerIds {
  deploymentId: string;
  namespace: string;
  image: string;
  /** Overrides the image's entrypoint (Kubernetes `command`); empty or absent: the image's own. */
  command?: string[];
  replicas: number;
  /** The port the application listens on, passed as env `PORT`; default 8080. */
  port?: number;
  /** Default `{ cpu: "250m", memory: "256Mi" }`. */
  resources?: Resources;
  /** Extra environment variables (PORT and HYDRA_* are set by the driver). */
  env?: Record<string, string>;
  /** Default `{ type: "tcp" }`. */
  readiness?: ReadinessCheck;
  /** The Pod Security level the pods must pass: "baseline" (the default) or "restricted" (the image must run as non-root). */
  podSecurity?: PodSecurityLevel;
}

/** Identifies a deployment's workload in a region; `workloadRef(spec)` computes it without a cluster. */
export interface WorkloadRef {
  deploymentId: string;
  namespace: string;
  /** Name of the Deployment and the CiliumNetworkPolicy. */
  name: string;
  /** Name of the Service (deploymentServiceName: the sentinel reaches it by this name). */
  service: string;
  /** Labels selecting the workload's pods. */
  selector: Record<string, string>;
  port: number;
}

/** What applyWorkload returns: the ref, and the resourceVersions the apply left (for observation). */
export interface AppliedWorkload extends WorkloadRef {
  resourceVersion: { deployment: string; service: string };
}

export type InstanceStatus = "ready";

export interface InstanceInfo {
  /** Unique across regions: `<region>/<pod name>`. */
  id: string;
  /** `podIP:port` (`[ip]:port` for IPv6): where the sentinel sends traffic. */
  address: string;
  region: string;
  status: InstanceStatus;
}

export interface WaitReadyOptions {
  /**
   * Reject with `ClusterDeadlineError` when fewer than `minReady` are ready at this time.
   * Compute it once (now + HYDRA_READY_TIMEOUT) and record it with the step, so that a retried
   * or resumed step keeps the original deadline instead of starting a new one.
   */
  deadline: Date;
  /** Abort the wait (rejects with a transient `ClusterError` of kind `aborted`). */
  signal?: AbortSignal;
}

export interface ClusterDriver {
  readonly kind: DriverKind;
  /** The configured regions, sorted. */
  regions(): string[];
  /**
   * Server-side apply of the namespace, labelled `app.kubernetes.io/managed-by: hydra` plus
   * `labels` (pass `{ "hydra.dev/workspace-id": id }`). Without permission to write namespaces,
   * an existing one is accepted; a namespace being deleted is a transient error.
   */
  ensureNamespace(region: string, namespace: string, labels?: Record<string, string>): Promise<void>;
  /** The environment's ingress proxy in this region: a Deployment and a ClusterIP Service. */
  ensureSentinel(region: string, spec: SentinelSpec): Promise<SentinelRef>;
  /**
   * A CiliumNetworkPolicy (cilium.io/v2) selecting the deployment's pods and admitting ingress
   * to its port only from the environment's sentinel pods.
   */
  ensureNetworkPolicy(region: string, spec: NetworkPolicySpec): Promise<NetworkPolicyRef>;
  /** The deployment's apps/v1 Deployment and v1 Service. */
  applyWorkload(region: string, spec: WorkloadSpec): Promise<AppliedWorkload>;
  /**
   * Resolves once at least `minReady` pods of the workload are ready (sorted by id), watching
   * pods rather than polling; a dropped watch resumes from the last resourceVersion seen.
   * `minReady <= 0` resolves at once with the instances ready now.
   */
  waitReady(region: string, ref: WorkloadRef, minReady: number, opts: WaitReadyOptions): Promise<InstanceInfo[]>;
  /**
   * Resolves once the environment's sentinel serves: its rollout (as for waitReady) complete with
   * at least `minReady` ready pods. Rejects like waitReady, with messages naming the sentinel:
   * `NotFound` when its Deployment is gone (re-apply it with ensureSentinel), `Refused` when
   * admission refuses its pods, `ClusterDeadlineError` at the deadline.
   */
  waitSentinel(region: string, ref: SentinelRef, minReady: number, opts: WaitReadyOptions): Promise<void>;
  /** Sets the Deployment's replicas (its scale subresource). Scaling a missing workload to 0 succeeds. */
  scale(region: string, ref: WorkloadRef, replicas: number): Promise<void>;
  /** Deletes the Deployment (its pods follow), the Service and the network policy. */
  deleteWorkload(region: string, ref: WorkloadRef): Promise<void>;
  /** Stops watches and closes connections. */
  close(): Promise<void>;
}

/** Events a driver reports for logs and tests (watch lifecycle, mostly). */
export type DriverEvent =
  | {
      type: "watch-start";
      region: string;
      path: string;
      resourceVersion: string;
      reason: "initial" | "resume" | "relist";
    }
  | { type: "watch-end"; region: string; path: string; resourceVersion: string; error?: string }
  | { type: "relist"; region: string; path: string; reason: string }
  | { type: "retry"; region: string; what: string; error: string; delayMs: number };
