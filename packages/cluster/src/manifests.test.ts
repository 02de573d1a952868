import {
  LABEL,
  namespaceManifest,
  networkPolicyManifest,
  SENTINEL_CONFIG_ANNOTATION,
  sentinelClusterConfig,
  sentinelManifests,
  workloadManifests,
} from "./manifests";

const ids = {
  workspaceId: "ws_01h455vb4pex5vsknk084sn02q",
  projectId: "prj_01h455vb4pex5vsknk084sn02q",
  environmentId: "env_01h455vb4pex5vsknk084sn02q",
};
const deploymentId = "dep_01h455vb4pex5vsknk084sn02q";

/** The parts of the built manifests these tests look into (KubeObject leaves `spec` unknown). */
interface ContainerJson {
  command?: string[];
  readinessProbe: { tcpSocket?: unknown };
  ports: [{ containerPort: number }, ...Array<{ containerPort: number }>];
  resources: { requests: unknown; limits: unknown };
}

interface DeploymentSpecJson {
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: { containers: [ContainerJson, ...ContainerJson[]] } };
}

interface NetworkPolicySpecJson {
  endpointSelector: unknown;
  ingress: unknown;
  egress?: unknown;
}

describe("manifests", () => {
  it("builds the workload: ids as labels, an immutable selector, PORT, probe, requests = limits", () => {
    const { deployment, service } = workloadManifests("us-east", {
      ...ids,
      deploymentId,
      namespace: "ws-01h455vb4pex5vsknk084sn02q",
      image: "ghcr.io/acme/api@sha256:abc",
      command: ["node", "server.js"],
      replicas: 3,
      port: 3000,
      resources: { cpu: "500m", memory: "512Mi" },
      env: { NODE_ENV: "production" },
      readiness: { type: "http", path: "/healthz" },
    });
    expect(deployment).toMatchObject({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "dep-01h455vb4pex5vsknk084sn02q", namespace: "ws-01h455vb4pex5vsknk084sn02q" },
      spec: { replicas: 3, selector: { matchLabels: { [LABEL.deploymentId]: deploymentId } } },
    });
    // The Service carries the environment in its name: a sentinel can only name its own environment's.
    expect(service.metadata.name).toBe("dep-01h455vb4pex5vsknk084sn02q-env-01h455vb4pex5vsknk084sn02q");
    const template = (deployment.spec as DeploymentSpecJson).template;
    expect(template.metadata.labels).toEqual({
      "app.kubernetes.io/managed-by": "hydra",
      "app.kubernetes.io/component": "workload",
      "hydra.dev/workspace-id": ids.workspaceId,
      "hydra.dev/project-id": ids.projectId,
      "hydra.dev/environment-id": ids.environmentId,
      "hydra.dev/deployment-id": deploymentId,
    });
    const [container] = template.spec.containers;
    expect(container).toEqual({
      name: "app",
      image: "ghcr.io/acme/api@sha256:abc",
      command: ["node", "server.js"],
      ports: [{ name: "http", containerPort: 3000, protocol: "TCP" }],
      env: [
        { name: "PORT", value: "3000" },
        { name: "HYDRA_REGION", value: "us-east" },
        { name: "HYDRA_WORKSPACE_ID", value: ids.workspaceId },
        { name: "HYDRA_PROJECT_ID", value: ids.projectId },
        { name: "HYDRA_ENVIRONMENT_ID", value: ids.environmentId },
        { name: "HYDRA_DEPLOYMENT_ID", value: deploymentId },
        { name: "NODE_ENV", value: "production" },
      ],
      resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
      readinessProbe: {
        httpGet: { path: "/healthz", port: "http", scheme: "HTTP" },
        periodSeconds: 2,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      },
    });
    expect(service.spec).toEqual({
      type: "ClusterIP",
      selector: { [LABEL.deploymentId]: deploymentId },
      ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
  });

  it("leaves the image's entrypoint alone without a command, and probes TCP by default", () => {
    const { deployment } = workloadManifests("r", {
      ...ids,
      deploymentId,
      namespace: "n",
      image: "nginx:1.27",
      replicas: 1,
    });
    const [container] = (deployment.spec as DeploymentSpecJson).template.spec.containers;
    expect(container.command).toBeUndefined();
    expect(container.readinessProbe.tcpSocket).toEqual({ port: "http" });
    expect(container.ports[0].containerPort).toBe(8080);
    expect(container.resources.requests).toEqual(container.resources.limits);
  });

  it("refuses env that would override what hydra sets", () => {
    expect(() =>
      workloadManifests("r", { ...ids, deploymentId, namespace: "n", image: "x", replicas: 1, env: { PORT: "1" } }),
    ).toThrow(
      expect.objectContaining({ code: "invalid_argument", kind: "invalid", transient: false, field: "env.PORT" }),
    );
  });

  it("selects the sentinel by environment, never by deployment", () => {
    const { deployment } = sentinelManifests("r", { ...ids, namespace: "n", image: "sentinel:1", replicas: 3 });
    expect(deployment.metadata.name).toBe("sentinel-env-01h455vb4pex5vsknk084sn02q");
    expect((deployment.spec as DeploymentSpecJson).selector.matchLabels).toEqual({
      [LABEL.component]: "sentinel",
      [LABEL.environmentId]: ids.environmentId,
    });
    expect((deployment.spec as DeploymentSpecJson).template.metadata.labels[LABEL.deploymentId]).toBeUndefined();
  });

  it("runs the stock image on the generated config: ConfigMap volume, health probe, a digest that rolls the pods when it changes", () => {
    const spec = {
      ...ids,
      namespace: "ws-1",
      image: "nginxinc/nginx-unprivileged:1.27-alpine",
      replicas: 2,
      port: 8080,
    };
    const { configMap, deployment, service } = sentinelManifests("r", spec);
    expect(configMap).toMatchObject({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "sentinel-env-01h455vb4pex5vsknk084sn02q", namespace: "ws-1" },
    });
    const config = (configMap.data as Record<string, string>)["nginx.conf"]!;
    expect(config).toBe(sentinelClusterConfig(spec));
    expect(config).toContain("resolver kube-dns.kube-system.svc.cluster.local");
    expect(config).toContain("proxy_pass http://$hydra_service.ws-1.svc.cluster.local:80;");
    const template = (
      deployment.spec as {
        template: {
          metadata: { annotations: Record<string, string> };
          spec: { volumes: unknown; containers: Array<Record<string, unknown>> };
        };
      }
    ).template;
    expect(template.spec.volumes).toEqual([
      { name: "config", configMap: { name: "sentinel-env-01h455vb4pex5vsknk084sn02q" } },
    ]);
    expect(template.spec.containers[0]).toMatchObject({
      image: "nginxinc/nginx-unprivileged:1.27-alpine",
      command: ["nginx", "-c", "/etc/hydra-sentinel/nginx.conf"],
      ports: [
        { name: "http", containerPort: 8080 },
        { name: "health", containerPort: 8081 },
      ],
      readinessProbe: { httpGet: { path: "/healthz", port: "health" } },
      volumeMounts: [{ name: "config", mountPath: "/etc/hydra-sentinel", readOnly: true }],
    });
    const digest = template.metadata.annotations[SENTINEL_CONFIG_ANNOTATION];
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const withActivator = sentinelManifests("r", { ...spec, activator: "activator.hydra:8090" }).deployment
      .spec as typeof deployment.spec & { template: typeof template };
    expect(withActivator.template.metadata.annotations[SENTINEL_CONFIG_ANNOTATION]).not.toBe(digest);
    expect(service.metadata.name).toBe("sentinel-env-01h455vb4pex5vsknk084sn02q");
  });

  it("admits ingress to the deployment's port only from its environment's sentinel pods", () => {
    const policy = networkPolicyManifest({
      ...ids,
      deploymentId,
      namespace: "ws-1",
      port: 3000,
      sentinel: {
        namespace: "sentinels",
        selector: { [LABEL.component]: "sentinel", [LABEL.environmentId]: ids.environmentId },
      },
    });
    expect(policy).toMatchObject({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "dep-01h455vb4pex5vsknk084sn02q", namespace: "ws-1" },
    });
    expect((policy.spec as NetworkPolicySpecJson).endpointSelector).toEqual({
      matchLabels: { [LABEL.deploymentId]: deploymentId },
    });
    expect((policy.spec as NetworkPolicySpecJson).ingress).toEqual([
      {
        fromEndpoints: [
          {
            matchLabels: {
              [LABEL.component]: "sentinel",
              [LABEL.environmentId]: ids.environmentId,
              "k8s:io.kubernetes.pod.namespace": "sentinels",
            },
          },
        ],
        toPorts: [{ ports: [{ port: "3000", protocol: "TCP" }] }],
      },
    ]);
    expect((policy.spec as NetworkPolicySpecJson).egress).toBeUndefined();
  });

  it("labels namespaces as hydra's", () => {
    expect(namespaceManifest("ws-1", { [LABEL.workspaceId]: "ws_1" }).metadata.labels).toEqual({
      [LABEL.workspaceId]: "ws_1",
      [LABEL.managedBy]: "hydra",
    });
  });
});

describe("pod security", () => {
  const container = (podSecurity?: "baseline" | "restricted") =>
    (
      workloadManifests("us-east", {
        ...ids,
        deploymentId,
        namespace: "ws-1",
        image: "nginx:1.27",
        replicas: 1,
        ...(podSecurity ? { podSecurity } : {}),
      }).deployment.spec as { template: { spec: { containers: Array<{ securityContext?: unknown }> } } }
    ).template.spec.containers[0]!;
  const sentinel = (podSecurity?: "restricted") =>
    (
      sentinelManifests("us-east", {
        ...ids,
        namespace: "ws-1",
        image: "haproxy:2.6",
        replicas: 1,
        ...(podSecurity ? { podSecurity } : {}),
      }).deployment.spec as { template: { spec: { containers: Array<{ securityContext?: unknown }> } } }
    ).template.spec.containers[0]!;

  it.each([
    ["default (baseline)", undefined, undefined],
    ["baseline", "baseline", undefined],
    [
      "restricted",
      "restricted",
      {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
    ],
  ] as const)("%s: the container's securityContext", (_what, level, expected) => {
    expect(container(level).securityContext).toEqual(expected);
  });

  it("applies to the sentinel's container too", () => {
    expect(sentinel().securityContext).toBeUndefined();
    expect(sentinel("restricted").securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
    });
  });
});
