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
import { ClusterDeadlineError, ClusterError, errorFromResponse } from "./errors";
import { KubeHttp, type WatchEvent } from "./kube-http";
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
import { type Pod, instanceOf, isPodReady, podProblems } from "./pods";

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
      code: "Configuration",
      transient: false,
      region,
      cause: error,
    });
  }
  if (!target.inCluster && target.context) {
    if (!kc.getContextObject(target.context)) {
      throw new ClusterError(`region ${region}: kubeconfig ${target.kubeconfig ?? "(default)"} has no context "${target.context}"`, {
        code: "Configuration",
        transient: false,
        region,
      });
    }
    kc.setCurrentContext(target.context);
  }
  return kc;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

const DEADLINE = Symbol("deadline");

/** The `kubernetes` driver: one cluster per region, reached through its kubeconfig. */
export class KubernetesDriver implements ClusterDriver {
  readonly kind = "kubernetes" as const;
  private readonly clients = new Map<string, KubeHttp>();
  /** region → its `sentinelAddress` template (HYDRA_CLUSTERS). */
  private readonly sentinelAddresses = new Map<string, string>();
  private readonly closing = new AbortController();
  private readonly watchTimeoutSeconds: number;
  private readonly emit: (event: DriverEvent) => void;

  constructor(config: KubernetesDriverConfig) {
    const requestTimeoutMs = config.requestTimeoutMs ?? 30_000;
    this.watchTimeoutSeconds = config.watchTimeoutSeconds ?? 240;
    this.emit = config.onEvent ?? (() => {});
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
        code: "UnknownRegion",
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
      if (error instanceof ClusterError && error.code === "NotFound") return;
      throw error;
    }
  }

  async ensureNamespace(region: string, namespace: string, labels?: Record<string, string>): Promise<void> {
    let object: KubeObject;
    try {
      object = await this.apply(region, namespaceManifest(namespace, labels));
    } catch (error) {
      // Without permission to write namespaces, an existing one (created by an admin) is fine.
      if (!(error instanceof ClusterError && error.code === "Forbidden")) throw error;
      try {
        object = (await this.client(region).request<KubeObject>("GET", itemPath("Namespace", undefined, namespace), { signal: this.closing.signal }))
          .body;
      } catch {
        throw error;
      }
    }
    if ((object.status as { phase?: string } | undefined)?.phase === "Terminating") {
      throw new ClusterError(`region ${region}: namespace ${namespace} is being deleted; retry once it is gone`, {
        code: "Conflict",
        transient: true,
        region,
      });
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
    try {
      const applied = await this.apply(region, manifest);
      return { namespace: spec.namespace, name: manifest.metadata.name, resourceVersion: applied.metadata.resourceVersion! };
    } catch (error) {
      // A group/version the server does not serve answers a plain-text 404 (no Status reason).
      if (error instanceof ClusterError && error.code === "NotFound" && error.reason === undefined) {
        throw new ClusterError(
          `region ${region}: the API server does not serve cilium.io/v2 CiliumNetworkPolicy; install Cilium (or at least its CRDs) in this cluster`,
          { code: "NotServed", transient: false, region, status: 404, cause: error },
        );
      }
      throw error;
    }
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
        code: "Invalid",
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
      if (replicas === 0 && error instanceof ClusterError && error.code === "NotFound") return;
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
    const client = this.client(region);
    const stop = new AbortController();
    const onCallerAbort = () => stop.abort(opts.signal?.reason ?? "aborted by the caller");
    const onClose = () => stop.abort("the driver is closing");
    opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
    this.closing.signal.addEventListener("abort", onClose, { once: true });
    // Capped at setTimeout's maximum (~24.8 days): beyond it Node would fire at once.
    const timer = setTimeout(() => stop.abort(DEADLINE), Math.min(2 ** 31 - 1, Math.max(0, opts.deadline.getTime() - Date.now())));
    if (opts.signal?.aborted) stop.abort(opts.signal.reason);

    const podsPath = collectionPath("Pod", ref.namespace);
    const selector = labelSelector(ref.selector);
    const pods = new Map<string, Pod>();
    const ready = () =>
      [...pods.values()]
        .filter(isPodReady)
        .map((pod) => instanceOf(region, pod, ref.port))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

    let resourceVersion = "";
    let lastError: unknown;
    const failure = (): ClusterError => {
      if (stop.signal.reason === DEADLINE) {
        return new ClusterDeadlineError({
          region,
          ready: ready().length,
          required: minReady,
          deadline: opts.deadline,
          problems: [
            ...podProblems([...pods.values()], minReady),
            ...(lastError instanceof Error ? [`last error talking to the cluster: ${lastError.message}`] : []),
          ],
          cause: lastError,
        });
      }
      const reason = stop.signal.reason instanceof Error ? stop.signal.reason.message : String(stop.signal.reason);
      return new ClusterError(`region ${region}: waiting for ${ref.namespace}/${ref.name} aborted: ${reason}`, {
        code: "Aborted",
        transient: true,
        region,
        cause: stop.signal.reason,
      });
    };

    try {
      // The workload must exist: waiting for pods of a Deployment nobody applied is a bug.
      for (let attempt = 0; ; attempt++) {
        try {
          await client.request("GET", itemPath("Deployment", ref.namespace, ref.name), {
            signal: stop.signal,
            what: `get Deployment ${ref.namespace}/${ref.name}`,
          });
          break;
        } catch (error) {
          if (stop.signal.aborted) throw failure();
          if (!(error instanceof ClusterError) || !error.transient) throw error;
          lastError = error;
          await this.backoff(region, "get Deployment", error, attempt, stop.signal);
          if (stop.signal.aborted) throw failure();
        }
      }

      let list = true;
      let reason: "initial" | "resume" | "relist" = "initial";
      for (let attempt = 0; ; ) {
        let satisfied: InstanceInfo[] | undefined;
        try {
          if (list) {
            const response = await client.request<{ metadata: { resourceVersion: string }; items: Pod[] }>("GET", podsPath, {
              query: { labelSelector: selector },
              signal: stop.signal,
              what: `list pods of ${ref.namespace}/${ref.name}`,
            });
            pods.clear();
            for (const pod of response.body.items) pods.set(pod.metadata.name, pod);
            resourceVersion = response.body.metadata.resourceVersion;
            list = false;
            lastError = undefined;
          }
          const now = ready();
          if (now.length >= minReady || minReady <= 0) return now;

          this.emit({ type: "watch-start", region, path: podsPath, resourceVersion, reason });
          const watchStop = new AbortController();
          const relay = () => watchStop.abort(stop.signal.reason);
          stop.signal.addEventListener("abort", relay, { once: true });
          try {
            await client.watch(
              podsPath,
              { labelSelector: selector, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.watchTimeoutSeconds },
              (event: WatchEvent<Pod>) => {
                if (event.type === "ERROR") {
                  throw errorFromResponse({ region, status: event.object?.code ?? 500, body: event.object, what: `watch pods of ${ref.name}` });
                }
                const rv = event.object?.metadata?.resourceVersion;
                if (event.type !== "BOOKMARK") {
                  const name = event.object.metadata.name;
                  if (event.type === "DELETED") pods.delete(name);
                  else pods.set(name, event.object);
                }
                if (rv) resourceVersion = rv;
                attempt = 0; // the watch works
                lastError = undefined;
                if (satisfied === undefined) {
                  const current = ready();
                  if (current.length >= minReady) {
                    satisfied = current;
                    watchStop.abort("enough instances are ready");
                  }
                }
              },
              { signal: watchStop.signal, idleTimeoutMs: (this.watchTimeoutSeconds + 30) * 1000, what: `watch pods of ${ref.namespace}/${ref.name}` },
            );
          } finally {
            stop.signal.removeEventListener("abort", relay);
          }
          // The server ended the watch (its timeout, a restart): resume where it stopped.
          this.emit({ type: "watch-end", region, path: podsPath, resourceVersion });
          reason = "resume";
        } catch (error) {
          if (satisfied) return satisfied;
          if (stop.signal.aborted) throw failure();
          if (!(error instanceof ClusterError)) throw error;
          this.emit({ type: "watch-end", region, path: podsPath, resourceVersion, error: error.message });
          if (error.code === "Gone") {
            // Our resourceVersion is older than the server keeps: list again, then watch from there.
            this.emit({ type: "relist", region, path: podsPath, reason: error.message });
            list = true;
            reason = "relist";
            continue;
          }
          if (!error.transient) throw error;
          lastError = error;
          await this.backoff(region, `watch pods of ${ref.name}`, error, attempt++, stop.signal);
          if (stop.signal.aborted) throw failure();
          reason = "resume";
        }
      }
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onCallerAbort);
      this.closing.signal.removeEventListener("abort", onClose);
    }
  }

  private async backoff(region: string, what: string, error: ClusterError, attempt: number, signal: AbortSignal): Promise<void> {
    const base = Math.min(5_000, 100 * 2 ** attempt);
    const delayMs = Math.max(error.retryAfterMs ?? 0, Math.round(base / 2 + (Math.random() * base) / 2));
    this.emit({ type: "retry", region, what, error: error.message, delayMs });
    await sleep(delayMs, signal);
  }

  async close(): Promise<void> {
    this.closing.abort("closed");
    for (const client of this.clients.values()) client.close();
  }
}
