/**
 * The clusters the contract suite runs against:
 * - `simulated`: the in-memory driver, two regions — always (`pnpm test`).
 * - `real`: when `HYDRA_CLUSTERS` (region → kubeconfig/context, as deploy-svc reads it) or
 *   `KUBECONFIG` is set (`pnpm test:kube` sets it to its own clusters, and runs only this one).
 *   With `KUBECONFIG` alone both regions use its current context, in different namespaces.
 *   Opt out with `HYDRA_CONTRACT_REAL=0`.
 */
import { randomBytes } from "node:crypto";
import {
  type ClusterDriver,
  ClusterError,
  type ClusterTarget,
  type DriverEvent,
  SimulatedDriver,
  type WorkloadSpec,
  parseClusters,
} from "@hydra/cluster";
import { KubernetesDriver } from "@hydra/cluster/kubernetes";

/** The fields of stored objects that the contract asserts. */
interface StoredMeta {
  name: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
}

interface StoredContainer {
  image: string;
  command?: string[];
  ports?: unknown[];
  env?: unknown[];
  resources?: unknown;
  readinessProbe?: unknown;
}

export interface StoredDeployment {
  metadata: StoredMeta;
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { automountServiceAccountToken?: boolean; containers: [StoredContainer, ...StoredContainer[]] };
    };
  };
  status?: { readyReplicas?: number; observedGeneration?: number };
}

export interface StoredService {
  metadata: StoredMeta;
  spec: { type: string; selector: Record<string, string>; ports: unknown[] };
}

export interface StoredNetworkPolicy {
  metadata: StoredMeta;
  spec: { endpointSelector: unknown; ingress: unknown[] };
}

export interface StoredKinds {
  Deployment: StoredDeployment;
  Service: StoredService;
  CiliumNetworkPolicy: StoredNetworkPolicy;
}

export interface ObjectState<T> {
  resourceVersion: string;
  object: T;
}

export interface Target {
  name: string;
  driver: ClusterDriver;
  /** Two region names (the same cluster may serve both). */
  regions: [string, string];
  /** Namespaces for one test: one per region (regions may share a cluster). */
  namespaces(): [string, string];
  image: string;
  command?: string[];
  /** How long a healthy workload may take to become ready here. */
  readyWithinMs: number;
  /** Makes the region's next workloads never ready; returns spec changes needed for that (real clusters). */
  neverReady(region: string): Promise<Partial<WorkloadSpec>>;
  /** Undoes neverReady. */
  healthy(region: string): Promise<void>;
  /** The object as stored by the cluster, or undefined when it does not exist. */
  get<K extends keyof StoredKinds>(
    region: string,
    kind: K,
    namespace: string,
    name: string,
  ): Promise<ObjectState<StoredKinds[K]> | undefined>;
  /** Events the driver reported (watch lifecycle). */
  events: DriverEvent[];
  close(): Promise<void>;
}

export interface TargetFactory {
  name: string;
  /** Per-test timeout. */
  timeoutMs: number;
  create(): Promise<Target>;
}

const run = randomBytes(3).toString("hex");
let counter = 0;
function namespacePair(): [string, string] {
  const n = ++counter;
  return [`hc-${run}-${n}-a`, `hc-${run}-${n}-b`];
}

const PATHS = {
  Deployment: (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
  Service: (ns: string, name: string) => `/api/v1/namespaces/${ns}/services/${name}`,
  CiliumNetworkPolicy: (ns: string, name: string) =>
    `/apis/cilium.io/v2/namespaces/${ns}/ciliumnetworkpolicies/${name}`,
};

async function getVia<K extends keyof StoredKinds>(
  driver: KubernetesDriver,
  region: string,
  kind: K,
  ns: string,
  name: string,
): Promise<ObjectState<StoredKinds[K]> | undefined> {
  try {
    const { body } = await driver.client(region).request<StoredKinds[K]>("GET", PATHS[kind](ns, name));
    return { resourceVersion: body.metadata.resourceVersion ?? "", object: body };
  } catch (error) {
    if (error instanceof ClusterError && error.kind === "not_found") return undefined;
    throw error;
  }
}

async function deleteNamespaces(driver: KubernetesDriver, created: Array<[string, string]>): Promise<void> {
  await Promise.all(
    created.map(([region, ns]) =>
      driver
        .client(region)
        .request("DELETE", `/api/v1/namespaces/${ns}`)
        .catch(() => undefined),
    ),
  );
}

export const simulatedTarget: TargetFactory = {
  name: "simulated",
  timeoutMs: 30_000,
  async create() {
    const driver = new SimulatedDriver({ regions: ["us-east", "eu-west"], readyMs: 100 });
    return {
      name: "simulated",
      driver,
      regions: ["eu-west", "us-east"],
      namespaces: namespacePair,
      image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
      readyWithinMs: 5_000,
      events: [],
      neverReady: async (region) => {
        driver.setMode(region, "never-ready");
        return {};
      },
      healthy: async (region) => driver.setMode(region, "ready"),
      get: async (region, kind, ns, name) => {
        const o = driver.get(region, kind, ns, name);
        // The simulated driver stores the manifests the driver built: the same shapes.
        return o ? { resourceVersion: o.resourceVersion, object: o as unknown as StoredKinds[typeof kind] } : undefined;
      },
      close: () => driver.close(),
    };
  },
};

export function realClusters(): Record<string, ClusterTarget> | undefined {
  if (process.env.HYDRA_CONTRACT_REAL === "0") return undefined;
  if (process.env.HYDRA_CLUSTERS) return parseClusters(process.env.HYDRA_CLUSTERS);
  // KUBECONFIG alone: its current context serves both regions (loadFromDefault merges a KUBECONFIG list).
  if (process.env.KUBECONFIG) return { "kube-a": {}, "kube-b": {} };
  return undefined;
}

export const realTarget: TargetFactory = {
  name: "real cluster",
  timeoutMs: 300_000,
  async create() {
    const clusters = realClusters()!;
    const names = Object.keys(clusters).sort();
    const regions: [string, string] = [names[0]!, names[1] ?? names[0]!];
    const events: DriverEvent[] = [];
    const driver = new KubernetesDriver({ kind: "kubernetes", clusters, onEvent: (e) => events.push(e) });
    // Reading objects back and deleting the test namespaces needs more than hydra's role grants:
    // HYDRA_CONTRACT_ADMIN_CLUSTERS (as `pnpm test:kube` sets) names an admin identity per region.
    const adminClusters = process.env.HYDRA_CONTRACT_ADMIN_CLUSTERS;
    const observer = adminClusters
      ? new KubernetesDriver({ kind: "kubernetes", clusters: parseClusters(adminClusters) })
      : driver;
    const created: Array<[string, string]> = [];
    const never = new Set<string>();
    return {
      name: "real cluster",
      driver,
      regions,
      namespaces: () => {
        const pair = namespacePair();
        created.push([regions[0], pair[0]], [regions[1], pair[1]]);
        return pair;
      },
      image: process.env.HYDRA_CONTRACT_IMAGE ?? "registry.k8s.io/e2e-test-images/agnhost:2.53",
      command: process.env.HYDRA_CONTRACT_IMAGE ? undefined : ["/agnhost", "netexec", "--http-port=8080"],
      readyWithinMs: 180_000,
      events,
      // No kubelet to instruct: ask for more CPU than any node has, so pods stay Pending (Unschedulable).
      neverReady: async (region) => {
        never.add(region);
        return { resources: { cpu: "512", memory: "64Mi" } };
      },
      healthy: async (region) => void never.delete(region),
      get: (region, kind, ns, name) => getVia(observer, region, kind, ns, name),
      close: async () => {
        await deleteNamespaces(observer, created);
        await driver.close();
        if (observer !== driver) await observer.close();
      },
    };
  },
};

/** Every target available here; `HYDRA_CONTRACT_TARGETS=real` (as `pnpm test:kube` sets) keeps only the real cluster. */
export function targets(): TargetFactory[] {
  const all = [simulatedTarget, ...(realClusters() ? [realTarget] : [])];
  const only = process.env.HYDRA_CONTRACT_TARGETS?.trim();
  if (only === "real") {
    if (!realClusters()) throw new Error("HYDRA_CONTRACT_TARGETS=real needs HYDRA_CLUSTERS or KUBECONFIG");
    return [realTarget];
  }
  return all;
}

/** A well-formed TypeID with a random suffix. */
export function fakeId(prefix: string): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  const bytes = randomBytes(26);
  let suffix = "0";
  for (let i = 1; i < 26; i++) suffix += alphabet[bytes[i]! % 32];
  return `${prefix}_${suffix}`;
}
