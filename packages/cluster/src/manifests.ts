/**
 * The manifests hydra applies, as pure functions of the specs: both drivers build them here,
 * so the simulated driver holds exactly what the kubernetes driver would send.
 */
import type {
  NetworkPolicySpec,
  OwnerIds,
  ReadinessCheck,
  Resources,
  SentinelRef,
  SentinelSpec,
  WorkloadRef,
  WorkloadSpec,
} from "./driver";
import { createHash } from "node:crypto";
import { ClusterError } from "./errors";
import { renderSentinelConfig, SENTINEL_HEALTH_PATH } from "./sentinel-config";
import { deploymentServiceName, networkPolicyName, sentinelName, serviceHost, workloadName } from "./names";

export const FIELD_MANAGER = "hydra";

export const LABEL = {
  managedBy: "app.kubernetes.io/managed-by",
  component: "app.kubernetes.io/component",
  workspaceId: "hydra.dev/workspace-id",
  projectId: "hydra.dev/project-id",
  environmentId: "hydra.dev/environment-id",
  deploymentId: "hydra.dev/deployment-id",
} as const;

/** Cilium's label for a pod's namespace in endpoint selectors. */
export const CILIUM_NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace";

export const DEFAULT_PORT = 8080;
export const DEFAULT_RESOURCES: Resources = { cpu: "250m", memory: "256Mi" };
/** The Services' port; it forwards to the container port named `http`. */
export const SERVICE_PORT = 80;
const PORT_NAME = "http";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

function ownerLabels(ids: OwnerIds): Record<string, string> {
  return {
    [LABEL.managedBy]: "hydra",
    [LABEL.workspaceId]: ids.workspaceId,
    [LABEL.projectId]: ids.projectId,
    [LABEL.environmentId]: ids.environmentId,
  };
}

/** Labels of a deployment's objects and pods. */
export function workloadLabels(spec: OwnerIds & { deploymentId: string }): Record<string, string> {
  return { ...ownerLabels(spec), [LABEL.component]: "workload", [LABEL.deploymentId]: spec.deploymentId };
}

/** The (immutable) selector of a deployment's pods: its id is unique. */
export function workloadSelector(deploymentId: string): Record<string, string> {
  return { [LABEL.deploymentId]: deploymentId };
}

export function sentinelLabels(spec: OwnerIds): Record<string, string> {
  return { ...ownerLabels(spec), [LABEL.component]: "sentinel" };
}

/** The (immutable) selector of an environment's sentinel pods. */
export function sentinelSelector(environmentId: string): Record<string, string> {
  return { [LABEL.component]: "sentinel", [LABEL.environmentId]: environmentId };
}

export function namespaceManifest(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { ...labels, [LABEL.managedBy]: "hydra" } } };
}

function envList(
  region: string,
  port: number,
  fixed: Record<string, string>,
  extra: Record<string, string> | undefined,
) {
  const env: Record<string, string> = { PORT: String(port), HYDRA_REGION: region, ...fixed };
  const list = Object.entries(env).map(([name, value]) => ({ name, value }));
  for (const name of Object.keys(extra ?? {}).sort()) {
    if (name in env) {
      throw new ClusterError(`env ${name} is set by hydra and cannot be overridden`, {
        kind: "invalid",
        transient: false,
        region,
        causes: [{ reason: "FieldValueForbidden", field: `env.${name}`, message: "set by hydra" }],
      });
    }
    list.push({ name, value: extra![name]! });
  }
  return list;
}

function readinessProbe(check: ReadinessCheck | undefined) {
  const handler =
    check?.type === "http"
      ? { httpGet: { path: check.path, port: PORT_NAME, scheme: "HTTP" } }
      : { tcpSocket: { port: PORT_NAME } };
  return { ...handler, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
}

function resourceRequirements(resources: Resources | undefined) {
  const r = resources ?? DEFAULT_RESOURCES;
  // requests = limits: Guaranteed QoS, no overcommit surprises.
  return { requests: { cpu: r.cpu, memory: r.memory }, limits: { cpu: r.cpu, memory: r.memory } };
}

function deployment(input: {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  selector: Record<string, string>;
  replicas: number;
  container: Record<string, unknown>;
  /** Pod template annotations (a config digest, so a changed config rolls the pods). */
  podAnnotations?: Record<string, string>;
  volumes?: Array<Record<string, unknown>>;
}): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: input.name, namespace: input.namespace, labels: input.labels },
    spec: {
      replicas: input.replicas,
      selector: { matchLabels: input.selector },
      template: {
        metadata: { labels: input.labels, ...(input.podAnnotations ? { annotations: input.podAnnotations } : {}) },
        spec: {
          // User code gets no Kubernetes API token and no service-link env vars.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          containers: [input.container],
          ...(input.volumes ? { volumes: input.volumes } : {}),
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "ScheduleAnyway",
              labelSelector: { matchLabels: input.selector },
            },
          ],
        },
      },
    },
  };
}

function service(
  name: string,
  namespace: string,
  labels: Record<string, string>,
  selector: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace, labels },
    spec: {
      type: "ClusterIP",
      selector,
      ports: [{ name: PORT_NAME, port: SERVICE_PORT, targetPort: PORT_NAME, protocol: "TCP" }],
    },
  };
}

/** The ref of a deployment's workload, computed from its spec (no cluster call). */
export function workloadRef(
  spec: Pick<WorkloadSpec, "deploymentId" | "environmentId" | "namespace" | "port">,
): WorkloadRef {
  return {
    deploymentId: spec.deploymentId,
    namespace: spec.namespace,
    name: workloadName(spec.deploymentId),
    service: deploymentServiceName(spec.deploymentId, spec.environmentId),
    selector: workloadSelector(spec.deploymentId),
    port: spec.port ?? DEFAULT_PORT,
  };
}

/** The one container of a workload or sentinel pod: image, command, the named port, env, resources, probe. */
function hydraContainer(
  region: string,
  name: string,
  port: number,
  spec: Pick<WorkloadSpec, "image" | "command" | "env" | "resources" | "podSecurity">,
  readiness: WorkloadSpec["readiness"],
  ids: Record<string, string>,
): Record<string, unknown> {
  return {
    name,
    image: spec.image,
    ...(spec.command && spec.command.length > 0 ? { command: spec.command } : {}),
    ports: [{ name: PORT_NAME, containerPort: port, protocol: "TCP" }],
    env: envList(region, port, ids, spec.env),
    resources: resourceRequirements(spec.resources),
    readinessProbe: readinessProbe(readiness),
    ...(spec.podSecurity === "restricted" ? { securityContext: RESTRICTED_SECURITY_CONTEXT } : {}),
  };
}

/**
 * What Pod Security "restricted" demands of a container (the template passes "baseline" as it is:
 * no host namespaces, ports or paths, no privileged mode, no added capabilities). The image must
 * then run as a non-root user.
 */
export const RESTRICTED_SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

export function workloadManifests(region: string, spec: WorkloadSpec): { deployment: KubeObject; service: KubeObject } {
  const name = workloadName(spec.deploymentId);
  const labels = workloadLabels(spec);
  const selector = workloadSelector(spec.deploymentId);
  const port = spec.port ?? DEFAULT_PORT;
  const container = hydraContainer(region, "app", port, spec, spec.readiness, {
    HYDRA_WORKSPACE_ID: spec.workspaceId,
    HYDRA_PROJECT_ID: spec.projectId,
    HYDRA_ENVIRONMENT_ID: spec.environmentId,
    HYDRA_DEPLOYMENT_ID: spec.deploymentId,
  });
  return {
    deployment: deployment({ name, namespace: spec.namespace, labels, selector, replicas: spec.replicas, container }),
    service: service(deploymentServiceName(spec.deploymentId, spec.environmentId), spec.namespace, labels, selector),
  };
}

/**
 * The ref of an environment's sentinel in a region, computed from its spec (no cluster call).
 * `externalAddress` is a region's `sentinelAddress` (HYDRA_CLUSTERS): `host:port`, where
 * `{name}` and `{namespace}` stand for the sentinel Service's name and namespace.
 */
export function sentinelRef(
  spec: Pick<SentinelSpec, "environmentId" | "namespace" | "port">,
  externalAddress?: string,
): Omit<SentinelRef, "resourceVersion"> {
  const name = sentinelName(spec.environmentId);
  return {
    environmentId: spec.environmentId,
    namespace: spec.namespace,
    name,
    selector: sentinelSelector(spec.environmentId),
    port: spec.port ?? DEFAULT_PORT,
    host: serviceHost(name, spec.namespace),
    servicePort: SERVICE_PORT,
    ...(externalAddress
      ? { externalAddress: externalAddress.replaceAll("{name}", name).replaceAll("{namespace}", spec.namespace) }
      : {}),
  };
}

/** Where the sentinel container reads its generated nginx.conf (the ConfigMap's volume). */
export const SENTINEL_CONFIG_DIR = "/etc/hydra-sentinel";
/** The pod annotation holding the config's digest: a changed config rolls the sentinel's pods. */
export const SENTINEL_CONFIG_ANNOTATION = "hydra.dev/sentinel-config-sha256";
/** Cluster DNS as pods reach it (nginx resolves this name once, at start). */
export const CLUSTER_DNS_SERVICE = "kube-dns.kube-system.svc.cluster.local";

/** The sentinel's nginx.conf on a cluster: the stock image's unprivileged paths, logs to stdout/stderr. */
export function sentinelClusterConfig(
  spec: Pick<SentinelSpec, "environmentId" | "namespace" | "port" | "activator">,
): string {
  const port = spec.port ?? DEFAULT_PORT;
  return renderSentinelConfig({
    environmentId: spec.environmentId,
    namespace: spec.namespace,
    listen: String(port),
    healthListen: String(port + 1),
    resolver: CLUSTER_DNS_SERVICE,
    resolverValidSeconds: 5,
    upstreamPort: SERVICE_PORT,
    workerProcesses: 1,
    paths: { pid: "/tmp/nginx.pid", temp: "/tmp", accessLog: "/dev/stdout", errorLog: "stderr" },
    ...(spec.activator ? { activator: spec.activator } : {}),
  });
}

/**
 * An environment's sentinel: a ConfigMap with the generated nginx.conf, a Deployment of the
 * stock proxy image running it (readiness: GET /healthz on the health port), and a Service.
 */
export function sentinelManifests(
  region: string,
  spec: SentinelSpec,
): { configMap: KubeObject; deployment: KubeObject; service: KubeObject } {
  const name = sentinelName(spec.environmentId);
  const labels = sentinelLabels(spec);
  const selector = sentinelSelector(spec.environmentId);
  const port = spec.port ?? DEFAULT_PORT;
  const config = sentinelClusterConfig(spec);
  const base = hydraContainer(
    region,
    "sentinel",
    port,
    { ...spec, command: spec.command ?? ["nginx", "-c", `${SENTINEL_CONFIG_DIR}/nginx.conf`] },
    { type: "tcp" },
    {
      HYDRA_WORKSPACE_ID: spec.workspaceId,
      HYDRA_PROJECT_ID: spec.projectId,
      HYDRA_ENVIRONMENT_ID: spec.environmentId,
    },
  );
  const container = {
    ...base,
    ports: [
      { name: PORT_NAME, containerPort: port, protocol: "TCP" },
      { name: "health", containerPort: port + 1, protocol: "TCP" },
    ],
    readinessProbe: {
      httpGet: { path: SENTINEL_HEALTH_PATH, port: "health", scheme: "HTTP" },
      periodSeconds: 2,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    volumeMounts: [{ name: "config", mountPath: SENTINEL_CONFIG_DIR, readOnly: true }],
  };
  return {
    configMap: {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: spec.namespace, labels },
      data: { "nginx.conf": config },
    },
    deployment: deployment({
      name,
      namespace: spec.namespace,
      labels,
      selector,
      replicas: spec.replicas,
      container,
      podAnnotations: { [SENTINEL_CONFIG_ANNOTATION]: createHash("sha256").update(config).digest("hex") },
      volumes: [{ name: "config", configMap: { name } }],
    }),
    service: service(name, spec.namespace, labels, selector),
  };
}

export function networkPolicyManifest(spec: NetworkPolicySpec): KubeObject {
  return {
    apiVersion: "cilium.io/v2",
    kind: "CiliumNetworkPolicy",
    metadata: { name: networkPolicyName(spec.deploymentId), namespace: spec.namespace, labels: workloadLabels(spec) },
    spec: {
      description: `hydra: ingress to deployment ${spec.deploymentId} only from the sentinel of environment ${spec.environmentId}`,
      endpointSelector: { matchLabels: workloadSelector(spec.deploymentId) },
      ingress: [
        {
          fromEndpoints: [
            { matchLabels: { ...spec.sentinel.selector, [CILIUM_NAMESPACE_LABEL]: spec.sentinel.namespace } },
          ],
          toPorts: [{ ports: [{ port: String(spec.port), protocol: "TCP" }] }],
        },
      ],
    },
  };
}
