import { setMaxListeners } from "node:events";
import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterTarget, KubernetesDriverConfig } from "./config";
import type {
  AppliedWorkload,
  ClusterDriver,
  DriverEvent,
  InstanceInfo,
  NetworkPolicyRef,
  NetworkPolicySpec,
  SentinelRef,
  SentinelSpec,
  WaitReadyOptions,
  WorkloadRef,
  WorkloadSpec,
} from "./driver";
import { ClusterDeadlineError, ClusterError, networkError } from "./errors";
import { KubeHttp, type Query, type WatchEvent } from "./kube-http";
import {
  FIELD_MANAGER,
  type KubeObject,
  namespaceManifest,
  networkPolicyManifest,
  sentinelManifests,
  sentinelRef,
  workloadManifests,
  workloadRef,
} from "./manifests";
import { labelSelector } from "./names";
import { type Named, type ReflectorContext, reflect } from "./reflector";
import { type Pod, instanceOf, isPodReady, podProblems } from "./pods";
import { type DeploymentView, rolloutOf } from "./rollout";

export { KubeHttp, type WatchEvent };

type Kind = "Namespace" | "Deployment" | "Service" | "ConfigMap" | "Pod" | "CiliumNetworkPolicy";

const RESOURCES: Record<Kind, { base: string; plural: string; namespaced: boolean }> = {
  Namespace: { base: "/api/v1", plural: "namespaces", namespaced: false },
  Deployment: { base: "/apis/apps/v1", plural: "deployments", namespaced: true },
  Service: { base: "/api/v1", plural: "services", namespaced: true },
  ConfigMap: { base: "/api/v1", plural: "configmaps", namespaced: true },
  Pod: { base: "/api/v1", plural: "pods", namespaced: true },
  CiliumNetworkPolicy: { base: "/apis/cilium.io/v2", plural: "ciliumnetworkpolicies", namespaced: true },
};

export function collectionPath(kind: Kind, namespace?: string): string {
  const r = RESOURCES[kind];
  return r.namespaced ? `${r.base}/namespaces/${encodeURIComponent(namespace!)}/${r.plural}` : `${r.base}/${r.plural}`;
}

export function itemPath(kind: Kind, namespace: string | undefined, name: string): string {
  return `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
}

export function loadKubeConfig(region: string, target: ClusterTarget): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.inCluster) kc.loadFromCluster();
    else if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new ClusterError(`region ${region}: cannot load kubeconfig: ${(error as Error).message}`, {
      kind: "configuration",
      transient: false,
      region,
      cause: error,
    });
  }
  if (!target.inCluster && target.context) {
    if (!kc.getContextObject(target.context)) {
      throw new ClusterError(
        `region ${region}: kubeconfig ${target.kubeconfig ?? "(default)"} has no context "${target.context}"`,
        {
          kind: "configuration",
          transient: false,
          region,
        },
      );
    }
    kc.setCurrentContext(target.context);
  }
  return kc;
}

/** Waits `ms`, or less if `signal` aborts first (never rejects: an abort just ends the wait early). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  sleepUntilAborted(ms, undefined, { signal }).catch(() => undefined);

const DEADLINE = Symbol("deadline");
/** How long ensureNamespace waits for a namespace being deleted to go, and for its default ServiceAccount. */
const NAMESPACE_WAIT_MS = 60_000;
const NAMESPACE_POLL_MS = 250;
/** waitReady has its outcome: the watches stop. */
const SETTLED = Symbol("settled");

interface PolicyCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** Cilium's verdict on a CiliumNetworkPolicy: its `Valid` status condition. */
function policyValidity(policy: KubeObject): PolicyCondition | undefined {
  const conditions = (policy.status as { conditions?: PolicyCondition[] } | undefined)?.conditions;
  return conditions?.find((c) => c.type === "Valid");
}

/** A Deployment whose rollout is awaited, and the pods it selects. */
interface RolloutTarget {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  /** The port of the instances reported. */
  port: number;
  /** Names it in errors when it is not a deployment's workload (`sentinel ns/name`). */
  subject?: string;
}

/** The `kubernetes` driver: one cluster per region, reached through its kubeconfig. */
export class KubernetesDriver implements ClusterDriver {
  readonly kind = "kubernetes" as const;
  private readonly clients = new Map<string, KubeHttp>();
  /** region → its `sentinelAddress` template (HYDRA_CLUSTERS). */
  private readonly sentinelAddresses = new Map<string, string>();
  private readonly closing = new AbortController();
  private readonly watchTimeoutSeconds: number;
  private readonly policyVerdictWaitMs: number;
  private readonly emit: (event: DriverEvent) => void;
  /** What this driver's list-then-watch loops share (reflector.ts). */
  private readonly reflectorContext: ReflectorContext;

  constructor(config: KubernetesDriverConfig) {
    // Every wait in flight listens here (each removes its listener when it ends): hundreds of
    // concurrent rollouts are normal, not a leak.
    setMaxListeners(0, this.closing.signal);
    const requestTimeoutMs = config.requestTimeoutMs ?? 30_000;
    this.watchTimeoutSeconds = config.watchTimeoutSeconds ?? 240;
    this.policyVerdictWaitMs = config.policyVerdictWaitMs ?? 2_000;
    this.emit = config.onEvent ?? (() => {});
    this.reflectorContext = { watchTimeoutSeconds: this.watchTimeoutSeconds, emit: this.emit };
    for (const [region, target] of Object.entries(config.clusters)) {
      this.clients.set(region, new KubeHttp(region, loadKubeConfig(region, target), requestTimeoutMs));
      if (target.sentinelAddress) this.sentinelAddresses.set(region, target.sentinelAddress);
    }
  }

  regions(): string[] {
    return [...this.clients.keys()].sort();
  }

  /** The HTTP client of a region (for tests and diagnostics). */
  client(region: string): KubeHttp {
    const client = this.clients.get(region);
    if (!client) {
      throw new ClusterError(`unknown region "${region}"; configured: ${this.regions().join(", ") || "none"}`, {
        kind: "unknown_region",
        transient: false,
        region,
      });
    }
    return client;
  }

  /** Server-side apply: the object as hydra wants it; fields hydra no longer sets are removed. */
  private async apply(region: string, object: KubeObject): Promise<KubeObject> {
    const kind = object.kind as Kind;
    const { namespace, name } = object.metadata;
    const what = `apply ${kind} ${namespace ? `${namespace}/` : ""}${name}`;
    const response = await this.client(region).request<KubeObject>("PATCH", itemPath(kind, namespace, name), {
      query: { fieldManager: FIELD_MANAGER, force: true, fieldValidation: "Strict" },
      contentType: "application/apply-patch+yaml",
      body: JSON.stringify(object), // JSON is YAML
      signal: this.closing.signal,
      what,
    });
    return response.body;
  }

  /** DELETE; NotFound is success. */
  private async remove(region: string, kind: Kind, namespace: string, name: string): Promise<void> {
    try {
      await this.client(region).request("DELETE", itemPath(kind, namespace, name), {
        query: { propagationPolicy: "Background" },
        signal: this.closing.signal,
        what: `delete ${kind} ${namespace}/${name}`,
      });
    } catch (error) {
      if (error instanceof ClusterError && error.kind === "not_found") return;
      throw error;
    }
  }

  async ensureNamespace(region: string, namespace: string, labels?: Record<string, string>): Promise<void> {
    const deadline = Date.now() + NAMESPACE_WAIT_MS;
    for (;;) {
      const object = await this.applyNamespace(region, namespace, labels);
      if ((object.status as { phase?: string } | undefined)?.phase !== "Terminating") break;
      // Being deleted: nothing can be created in it until it is gone; then apply creates it anew.
      if (Date.now() > deadline) {
        throw new ClusterError(
          `region ${region}: namespace ${namespace} is still being deleted after ${NAMESPACE_WAIT_MS / 1000} s; retry once it is gone`,
          {
            kind: "terminating",
            transient: true,
            region,
          },
        );
      }
      await sleep(NAMESPACE_POLL_MS, this.closing.signal);
    }
    await this.awaitDefaultServiceAccount(region, namespace, deadline);
  }

  private async applyNamespace(
    region: string,
    namespace: string,
    labels?: Record<string, string>,
  ): Promise<KubeObject> {
    try {
      return await this.apply(region, namespaceManifest(namespace, labels));
    } catch (error) {
      // Without permission to write namespaces, an existing one (created by an admin) is fine.
      if (!(error instanceof ClusterError && error.kind === "forbidden")) throw error;
      try {
        return (
          await this.client(region).request<KubeObject>("GET", itemPath("Namespace", undefined, namespace), {
            signal: this.closing.signal,
          })
        ).body;
      } catch {
        throw error;
      }
    }
  }

  /**
   * The ServiceAccount admission plugin refuses pods (403) until the namespace's `default`
   * ServiceAccount exists, which its controller creates just after the namespace: a refusal
   * waitReady would report as final. A server that does not serve ServiceAccounts has no such plugin.
   */
  private async awaitDefaultServiceAccount(region: string, namespace: string, deadline: number): Promise<void> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/default`;
    for (;;) {
      try {
        await this.client(region).request("GET", path, {
          signal: this.closing.signal,
          what: `get ServiceAccount ${namespace}/default`,
        });
        return;
      } catch (error) {
        if (!(error instanceof ClusterError) || error.kind !== "not_found") throw error;
        if (error.reason === undefined) return; // a plain-text 404: the resource is not served
        if (Date.now() > deadline) {
          throw new ClusterError(
            `region ${region}: namespace ${namespace} has no default ServiceAccount after ${NAMESPACE_WAIT_MS / 1000} s (is kube-controller-manager running?)`,
            {
              kind: "not_found",
              transient: true,
              region,
            },
          );
        }
        await sleep(NAMESPACE_POLL_MS, this.closing.signal);
      }
    }
  }

  async ensureSentinel(region: string, spec: SentinelSpec): Promise<SentinelRef> {
    const manifests = sentinelManifests(region, spec);
    await this.apply(region, manifests.configMap);
    const deployment = await this.apply(region, manifests.deployment);
    const service = await this.apply(region, manifests.service);
    return {
      ...sentinelRef(spec, this.sentinelAddresses.get(region)),
      resourceVersion: { deployment: deployment.metadata.resourceVersion!, service: service.metadata.resourceVersion! },
    };
  }

  async ensureNetworkPolicy(region: string, spec: NetworkPolicySpec): Promise<NetworkPolicyRef> {
    const manifest = networkPolicyManifest(spec);
    let applied: KubeObject;
    try {
      applied = await this.apply(region, manifest);
    } catch (error) {
      // A group/version the server does not serve answers a plain-text 404 (no Status reason).
      if (error instanceof ClusterError && error.kind === "not_found" && error.reason === undefined) {
        throw new ClusterError(
          `region ${region}: the API server does not serve cilium.io/v2 CiliumNetworkPolicy; install Cilium (or at least its CRDs) in this cluster`,
          { kind: "not_served", transient: false, region, status: 404, cause: error },
        );
      }
      throw error;
    }
    // The API server accepts any policy its schema allows; Cilium judges it and says so only in
    // the status (condition Valid). Wait briefly for that verdict: a cluster with only the CRD never gives one.
    const judged = policyValidity(applied)
      ? applied
      : await this.awaitPolicyVerdict(region, spec.namespace, manifest.metadata.name);
    const verdict = judged ? policyValidity(judged) : undefined;
    if (verdict?.status === "False") {
      throw new ClusterError(
        `region ${region}: Cilium rejected CiliumNetworkPolicy ${spec.namespace}/${manifest.metadata.name} (${verdict.reason ?? "Valid=False"}): ${verdict.message ?? "no message"}`,
        { kind: "invalid", transient: false, region, reason: verdict.reason ?? "CiliumPolicyInvalid" },
      );
    }
    return {
      namespace: spec.namespace,
      name: manifest.metadata.name,
      resourceVersion: (judged ?? applied).metadata.resourceVersion!,
    };
  }

  /** The policy once Cilium's `Valid` condition appears on it within `policyVerdictWaitMs`; undefined without one. */
  private async awaitPolicyVerdict(region: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    if (this.policyVerdictWaitMs <= 0) return undefined;
    const stop = new AbortController();
    const relay = () => stop.abort("the driver is closing");
    this.closing.signal.addEventListener("abort", relay, { once: true });
    const timer = setTimeout(() => stop.abort(DEADLINE), this.policyVerdictWaitMs);
    const items = new Map<string, KubeObject>();
    let judged: KubeObject | undefined;
    try {
      await reflect<KubeObject>(
        this.client(region),
        this.reflectorContext,
        {
          region,
          path: collectionPath("CiliumNetworkPolicy", namespace),
          query: { fieldSelector: `metadata.name=${name}` },
          items,
          what: `CiliumNetworkPolicy ${namespace}/${name}`,
          signal: stop.signal,
          lastError: {},
        },
        () => {
          const policy = items.get(name);
          if (policy && policyValidity(policy)) {
            judged = policy;
            stop.abort(SETTLED);
          }
        },
      );
    } finally {
      clearTimeout(timer);
      this.closing.signal.removeEventListener("abort", relay);
    }
    return judged;
  }

  async applyWorkload(region: string, spec: WorkloadSpec): Promise<AppliedWorkload> {
    const manifests = workloadManifests(region, spec);
    // In order: a 422 names the Deployment's field first, deterministically.
    const deployment = await this.apply(region, manifests.deployment);
    const service = await this.apply(region, manifests.service);
    return {
      ...workloadRef(spec),
      resourceVersion: { deployment: deployment.metadata.resourceVersion!, service: service.metadata.resourceVersion! },
    };
  }

  async scale(region: string, ref: WorkloadRef, replicas: number): Promise<void> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ClusterError(`region ${region}: replicas must be an integer ≥ 0, not ${replicas}`, {
        kind: "invalid",
        transient: false,
        region,
        causes: [{ reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${replicas}` }],
      });
    }
    try {
      await this.client(region).request("PATCH", `${itemPath("Deployment", ref.namespace, ref.name)}/scale`, {
        query: { fieldManager: FIELD_MANAGER },
        contentType: "application/merge-patch+json",
        body: { spec: { replicas } },
        signal: this.closing.signal,
        what: `scale Deployment ${ref.namespace}/${ref.name} to ${replicas}`,
      });
    } catch (error) {
      if (replicas === 0 && error instanceof ClusterError && error.kind === "not_found") return;
      throw error;
    }
  }

  async deleteWorkload(region: string, ref: WorkloadRef): Promise<void> {
    const results = await Promise.allSettled([
      this.remove(region, "Deployment", ref.namespace, ref.name),
      this.remove(region, "Service", ref.namespace, ref.service),
      this.remove(region, "CiliumNetworkPolicy", ref.namespace, ref.name),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  async waitReady(region: string, ref: WorkloadRef, minReady: number, opts: WaitReadyOptions): Promise<InstanceInfo[]> {
    return this.awaitRollout(
      region,
      { namespace: ref.namespace, name: ref.name, selector: ref.selector, port: ref.port },
      minReady,
      opts,
    );
  }

  async waitSentinel(region: string, ref: SentinelRef, minReady: number, opts: WaitReadyOptions): Promise<void> {
    await this.awaitRollout(
      region,
      {
        namespace: ref.namespace,
        name: ref.name,
        selector: ref.selector,
        port: ref.port,
        subject: `sentinel ${ref.namespace}/${ref.name}`,
      },
      minReady,
      opts,
    );
  }

  /**
   * Follows a Deployment (its rollout) and its pods, each by list then watch, until the rollout
   * of the current template is complete with `minReady` ready pods; fails at once when the
   * Deployment disappears or admission refuses its pods.
   */
  private async awaitRollout(
    region: string,
    ref: RolloutTarget,
    minReady: number,
    opts: WaitReadyOptions,
  ): Promise<InstanceInfo[]> {
    const stop = new AbortController();
    const onCallerAbort = () => stop.abort(opts.signal?.reason ?? "aborted by the caller");
    const onClose = () => stop.abort("the driver is closing");
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.closing.signal.addEventListener("abort", onClose, { once: true });
    // Capped at setTimeout's maximum (~24.8 days): beyond it Node would fire at once.
    const timer = setTimeout(
      () => stop.abort(DEADLINE),
      Math.min(2 ** 31 - 1, Math.max(0, opts.deadline.getTime() - Date.now())),
    );
    if (opts.signal?.aborted) stop.abort(opts.signal.reason);

    const pods = new Map<string, Pod>();
    const deployments = new Map<string, DeploymentView>();
    const listed = { pods: false, deployment: false };
    const ready = () =>
      [...pods.values()]
        .filter(isPodReady)
        .map((pod) => instanceOf(region, pod, ref.port))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let lastError: { error?: unknown } = {};
    let outcome: { instances: InstanceInfo[] } | { error: ClusterError } | undefined;
    const finish = (result: { instances: InstanceInfo[] } | { error: ClusterError }) => {
      outcome ??= result;
      stop.abort(SETTLED);
    };
    const what = ref.subject ?? `${ref.namespace}/${ref.name}`;
    const evaluate = () => {
      if (outcome || !listed.pods || !listed.deployment) return;
      const deployment = deployments.get(ref.name);
      if (!deployment) {
        finish({
          error: new ClusterError(`region ${region}: waiting for ${what}: deployments.apps "${ref.name}" not found`, {
            kind: "not_found",
            transient: false,
            region,
            status: 404,
            reason: "NotFound",
          }),
        });
        return;
      }
      const now = ready();
      if (minReady <= 0) return finish({ instances: now });
      const rollout = rolloutOf(deployment, minReady);
      if (rollout.state === "refused") {
        finish({
          error: new ClusterError(
            `region ${region}: the pods of ${what} are refused (${rollout.reason}): ${rollout.message}`,
            {
              kind: "refused",
              transient: false,
              region,
              reason: rollout.reason,
            },
          ),
        });
        return;
      }
      // Pods the watch has not yet seen go are still counted live: wait until both streams agree.
      const live = [...pods.values()].filter((p) => !p.metadata.deletionTimestamp).length;
      if (rollout.state === "complete" && now.length >= minReady && live === (deployment.status?.replicas ?? 0))
        finish({ instances: now });
    };
    const failure = (): ClusterError => {
      if (stop.signal.reason === DEADLINE) {
        const deployment = deployments.get(ref.name);
        const rollout = deployment ? rolloutOf(deployment, minReady) : undefined;
        return new ClusterDeadlineError({
          region,
          ready: ready().length,
          required: minReady,
          deadline: opts.deadline,
          ...(ref.subject ? { subject: ref.subject } : {}),
          problems: [
            ...podProblems([...pods.values()], minReady),
            ...(rollout?.state === "progressing" && ready().length >= minReady
              ? [`rollout waiting for ${rollout.waitingFor}`]
              : []),
            ...(lastError.error instanceof Error
              ? [`last error talking to the cluster: ${lastError.error.message}`]
              : []),
          ],
          cause: lastError.error,
        });
      }
      const reason = stop.signal.reason instanceof Error ? stop.signal.reason.message : String(stop.signal.reason);
      return new ClusterError(`region ${region}: waiting for ${what} aborted: ${reason}`, {
        kind: "aborted",
        transient: true,
        region,
        cause: stop.signal.reason,
      });
    };

    const follow = <T extends Named>(
      path: string,
      query: Query,
      items: Map<string, T>,
      kind: keyof typeof listed,
      describe: string,
    ) =>
      reflect<T>(
        this.client(region),
        this.reflectorContext,
        { region, path, query, items, what: describe, signal: stop.signal, lastError },
        () => {
          listed[kind] = true;
          evaluate();
        },
      ).catch((error: unknown) => {
        const clusterError = error instanceof ClusterError ? error : networkError(region, describe, error);
        if (!stop.signal.aborted) finish({ error: clusterError });
      });
    try {
      await Promise.all([
        follow(
          collectionPath("Deployment", ref.namespace),
          { fieldSelector: `metadata.name=${ref.name}` },
          deployments,
          "deployment",
          `Deployment ${what}`,
        ),
        follow(
          collectionPath("Pod", ref.namespace),
          { labelSelector: labelSelector(ref.selector) },
          pods,
          "pods",
          `pods of ${what}`,
        ),
      ]);
      if (outcome && "instances" in outcome) return outcome.instances;
      if (outcome) throw outcome.error;
      throw failure();
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onCallerAbort);
      this.closing.signal.removeEventListener("abort", onClose);
    }
  }

  async close(): Promise<void> {
    this.closing.abort("closed");
    for (const client of this.clients.values()) client.close();
  }
}
