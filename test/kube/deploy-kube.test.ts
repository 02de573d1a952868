// Deploy end to end against the real control plane (two clusters, one per region): the API
// servers, controller-managers (Deployment → ReplicaSet → pods) and schedulers are real, kwok
// plays the kubelets. Deploy → READY, standby and wake through a rollback, promote, cancel, a
// region that cannot run pods, pods that never become Ready, a region whose pods are ready late
// (out-of-order finishes), admission refusing pods, a wake that fails, Deployments deleted behind
// hydra's back, transient API errors, and kill -9 of deploy-svc mid-deploy.
// deploy-svc talks to each region's API server as `hydra` through a fault proxy (fault-proxy.ts),
// which forwards everything unless a test injects a fault.
// Runs under `pnpm test:kube` (needs the clusters cluster.ts starts).
import { readFileSync } from "node:fs";
import { Code, ConnectError } from "@connectrpc/connect";
import { LABEL, namespaceName, networkPolicyName, sentinelName, workloadName } from "@hydra/cluster";
import { DeploymentStatus } from "@hydra/proto/hydra/v1";
import { DEPLOY_STEPS } from "../../packages/deploy/src/workflows/deploy";
import { expectedDomains, Hydra, type ProjectInfo, isStepLine, randomSha, waitFor } from "../deploy/support/harness";
import { cordon, kubeOk, kubeRequest, neverReadyIn, readState, readyAfter15sIn } from "./control";
import { FaultProxy, proxyKubeconfig } from "./fault-proxy";

const state = readState();
const REGIONS = { "us-east": 1, "eu-west": 2 };
const REGION_NAMES = Object.keys(REGIONS) as Array<keyof typeof REGIONS>;
let h: Hydra;
const proxies: Partial<Record<string, FaultProxy>> = {};
let viaProxies: ReturnType<typeof proxyKubeconfig> | undefined;

beforeAll(async () => {
  for (const region of REGION_NAMES)
    if (!state.regions[region]) throw new Error(`the test clusters lack region ${region}`);
  for (const region of REGION_NAMES) {
    proxies[region] = await FaultProxy.start({
      server: state.regions[region]!.server,
      ca: readFileSync(state.pki.ca),
      cert: readFileSync(state.pki.hydraCert),
      key: readFileSync(state.pki.hydraKey),
    });
  }
  viaProxies = proxyKubeconfig(proxies as Record<string, FaultProxy>);
  h = await Hydra.start({
    label: "deploy_kube",
    deployEnv: {
      HYDRA_CLUSTER_DRIVER: "kubernetes",
      HYDRA_CLUSTERS: JSON.stringify(viaProxies.clusters),
      HYDRA_STANDBY_DELAY: "1s",
      HYDRA_READY_TIMEOUT: "30s",
      // No Cilium agent here to judge policies: don't wait for a verdict that never comes.
      HYDRA_CILIUM_VERDICT_WAIT_MS: "0",
      HYDRA_TEST_STEP_DELAY: "",
    },
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
  for (const proxy of Object.values(proxies)) await proxy?.close();
  viaProxies?.remove();
});

const proxy = (region: string): FaultProxy => proxies[region]!;

interface DeploymentJson {
  spec: { replicas?: number };
  status?: { readyReplicas?: number; availableReplicas?: number };
}

async function get<T>(region: string, path: string): Promise<T | undefined> {
  const response = await kubeRequest<T>(state, region, "GET", path);
  if (response.status === 404) return undefined;
  if (response.status !== 200)
    throw new Error(`GET ${path} in ${region}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}
const deploymentPath = (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;

async function replicasIn(project: ProjectInfo, deploymentId: string): Promise<Record<string, number | undefined>> {
  const ns = namespaceName(project.workspaceId);
  const entries = await Promise.all(
    REGION_NAMES.map(
      async (region) =>
        [
          region,
          (await get<DeploymentJson>(region, deploymentPath(ns, workloadName(deploymentId))))?.spec.replicas,
        ] as const,
    ),
  );
  return Object.fromEntries(entries);
}

/** Pods of the deployment the kubelets (kwok) run, per region. */
async function podsIn(project: ProjectInfo, deploymentId: string): Promise<Record<string, number>> {
  const ns = namespaceName(project.workspaceId);
  const entries = await Promise.all(
    REGION_NAMES.map(async (region) => {
      const list = await get<{ items: Array<{ metadata: { deletionTimestamp?: string } }> }>(
        region,
        `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`hydra.dev/deployment-id=${deploymentId}`)}`,
      );
      return [region, (list?.items ?? []).filter((p) => !p.metadata.deletionTimestamp).length] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function scaledToZero(project: ProjectInfo, deploymentId: string): Promise<void> {
  await waitFor(
    `deployment ${deploymentId} scaled to 0 in every region`,
    async () => {
      const replicas = await replicasIn(project, deploymentId);
      return Object.values(replicas).every((r) => r === 0) ? true : undefined;
    },
    30_000,
    async () => JSON.stringify(await replicasIn(project, deploymentId)),
  );
}

async function withCordoned<T>(region: string, body: () => Promise<T>): Promise<T> {
  await cordon(state, region, true);
  try {
    return await body();
  } finally {
    await cordon(state, region, false);
  }
}

describe("deploy, standby, rollback (wake) and promote", () => {
  let project: ProjectInfo;
  let first: string;
  let second: string;

  beforeAll(async () => {
    project = await h.createProject({ regions: REGIONS });
  }, 60_000);

  it("a deploy becomes READY: the controllers created the pods, the schedulers bound them, the kubelets made them ready", async () => {
    first = await h.deployReady(project);
    const got = await h.deployments.getDeployment({ deploymentId: first });
    expect(got.deployment?.status).toBe(DeploymentStatus.READY);
    const instances = await h.pool.query<{ region: string; address: string }>(
      "SELECT region, address FROM instances WHERE deployment_id = $1 ORDER BY region",
      [first],
    );
    expect(instances.rows.map((i) => i.region)).toEqual(["eu-west", "eu-west", "us-east"]);
    // Pod IPs from each cluster's kwok range (10.100.x.x, 10.101.x.x).
    for (const instance of instances.rows) expect(instance.address).toMatch(/^10\.10[01]\.\d+\.\d+:\d+$/);
    const ns = namespaceName(project.workspaceId);
    for (const region of REGION_NAMES) {
      const workload = await get<DeploymentJson>(region, deploymentPath(ns, workloadName(first)));
      expect({ region, replicas: workload?.spec.replicas, available: workload?.status?.availableReplicas }).toEqual({
        region,
        replicas: REGIONS[region],
        available: REGIONS[region],
      });
      expect(await get(region, deploymentPath(ns, sentinelName(project.productionId)))).toBeDefined();
      expect(
        await get(region, `/apis/cilium.io/v2/namespaces/${ns}/ciliumnetworkpolicies/${networkPolicyName(first)}`),
      ).toBeDefined();
    }
    expect(await podsIn(project, first)).toEqual(REGIONS);
    // Its four domains, each with a gateway config sending the edge to the environment's sentinel
    // Service in each region (cluster DNS), never to pod addresses.
    const domains = await h.domains(project.projectId);
    expect(domains.map((d) => [d.sticky, d.deployment_id]).sort()).toEqual(
      ["branch", "environment", "live", "unspecified"].map((sticky) => [sticky, first]),
    );
    const gateway = await h.pool.query<{ hostname: string; config: { deploymentId: string; sentinels: unknown[] } }>(
      "SELECT hostname, config FROM gateway_configs WHERE deployment_id = $1 ORDER BY hostname",
      [first],
    );
    expect(gateway.rows.map((g) => g.hostname)).toEqual(domains.map((d) => d.name));
    const serviceHost = `${sentinelName(project.productionId)}.${ns}.svc.cluster.local`;
    for (const row of gateway.rows) {
      expect(row.config.deploymentId).toBe(first);
      expect(row.config.sentinels).toEqual(
        [...REGION_NAMES].sort().map((region) => ({ region, serviceHost, servicePort: 80, externalAddress: "" })),
      );
    }
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  }, 120_000);

  it("a second deploy takes over; the first goes to standby: scaled to 0, its pods gone", async () => {
    second = await h.deployReady(project);
    expect((await h.waitForRunEnd(`standby:${first}:deploy:${second}`, 30_000)).status).toBe("completed");
    expect(await replicasIn(project, first)).toEqual({ "us-east": 0, "eu-west": 0 });
    await waitFor(
      "the standby deployment's pods to go",
      async () => {
        const pods = await podsIn(project, first);
        return pods["us-east"] === 0 && pods["eu-west"] === 0 ? true : undefined;
      },
      30_000,
    );
    expect(await replicasIn(project, second)).toEqual(REGIONS);
  }, 120_000);

  it("a rollback to the deployment in standby wakes it (pods scheduled and ready again) before it takes the traffic", async () => {
    // The environment's sentinel deleted behind hydra's back in one region: the wake applies
    // it again and waits for it too, since traffic reaches the deployment only through it.
    const ns = namespaceName(project.workspaceId);
    const sentinelPath = deploymentPath(ns, sentinelName(project.productionId));
    await kubeOk(state, "us-east", "DELETE", sentinelPath);
    await waitFor(
      "the deleted sentinel to be gone",
      async () => ((await get("us-east", sentinelPath)) === undefined ? true : undefined),
      30_000,
    );
    const response = await h.deploys.rollback({ sourceDeploymentId: second, targetDeploymentId: first });
    expect(response).toMatchObject({ previousLiveDeploymentId: second, liveDeploymentId: first });
    expect(await replicasIn(project, first)).toEqual(REGIONS);
    expect(await podsIn(project, first)).toEqual(REGIONS);
    const sentinel = await get<DeploymentJson>("us-east", sentinelPath);
    expect(sentinel?.status?.readyReplicas).toBeGreaterThanOrEqual(1);
    expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: first, is_rolled_back: true });
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  }, 120_000);

  it("promote moves live to the other deployment and clears the rollback", async () => {
    const response = await h.deploys.promote({ targetDeploymentId: second });
    expect(response).toMatchObject({ previousLiveDeploymentId: first, liveDeploymentId: second });
    expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: second, is_rolled_back: false });
    expect(await replicasIn(project, second)).toEqual(REGIONS);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  }, 120_000);
});

it("a region whose nodes take no pods → FAILED at wait-ready naming the region and Unschedulable; scaled down", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const failed = await withCordoned("eu-west", async () => {
    const id = await h.deploy(project);
    const row = await h.waitForStatus(id, ["ready", "failed", "cancelled"], 90_000);
    expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
    expect(row.failure_reason).toContain("eu-west");
    expect(row.failure_reason).toContain("Unschedulable");
    return id;
  });
  await scaledToZero(project, failed);
  expect(await h.domains(project.projectId)).toEqual([]);
}, 150_000);

it("admission refusing the pods → FAILED at once, the reason naming the policy", async () => {
  const project = await h.createProject({ regions: REGIONS });
  // The cluster admin enforces Pod Security "restricted" on the workspace's namespace in one region.
  await kubeOk(state, "us-east", "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name: namespaceName(project.workspaceId),
      labels: { "pod-security.kubernetes.io/enforce": "restricted" },
    },
  });
  const id = await h.deploy(project);
  // Well inside HYDRA_READY_TIMEOUT (30 s) would only be a timing claim; the reason tells it was the refusal.
  const row = await h.waitForStatus(id, ["ready", "failed", "cancelled"], 90_000);
  expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
  expect(row.failure_reason).toContain("us-east");
  expect(row.failure_reason).toContain('violates PodSecurity "restricted:latest"');
}, 150_000);

it("cancel while waiting for readiness → CANCELLED, workloads scaled to 0, nothing routed", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const id = await withCordoned("us-east", async () => {
    const deploymentId = await h.deploy(project);
    await h.deploySvc.waitForLine(isStepLine(deploymentId, "wait-ready", "started"), 60_000);
    const { deployment } = await h.deployments.cancelDeployment({ deploymentId, reason: "changed my mind" });
    expect(deployment?.status).toBe(DeploymentStatus.CANCELLED);
    return deploymentId;
  });
  expect((await h.waitForRunEnd(`deploy:${id}`, 30_000)).status).toBe("cancelled");
  await scaledToZero(project, id);
  expect(await h.domains(project.projectId)).toEqual([]);
}, 150_000);

it("kill -9 of deploy-svc while it waits for readiness: the restarted one resumes and the deploy becomes READY", async () => {
  const project = await h.createProject({ regions: REGIONS });
  await cordon(state, "eu-west", true);
  let id: string;
  try {
    id = await h.deploy(project);
    await h.deploySvc.waitForLine(isStepLine(id, "wait-ready", "started"), 60_000);
    await h.crashAndRestart();
  } finally {
    await cordon(state, "eu-west", false);
  }
  const row = await h.waitForStatus(id, ["ready", "failed", "cancelled", "superseded"], 90_000);
  expect({ status: row.status, reason: row.failure_reason }).toEqual({ status: "ready", reason: null });
  expect((await h.waitForRunEnd(`deploy:${id}`, 30_000)).status).toBe("completed");
  const steps = (await h.steps(`deploy:${id}`)).filter((s) => !s.name.startsWith("$"));
  expect(steps.map((s) => s.name)).toEqual([...DEPLOY_STEPS]);
  expect(steps.filter((s) => s.status !== "completed")).toEqual([]);
  expect(await replicasIn(project, id)).toEqual(REGIONS);
  expect(await podsIn(project, id)).toEqual(REGIONS);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}, 180_000);

it("a sentinel the cluster's policy refuses → FAILED at wait-ready at once, the reason naming the sentinel and the policy", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const ns = namespaceName(project.workspaceId);
  const policy = `hydra-test-no-sentinels-${project.workspaceId.slice(-8)}`;
  const label = { "hydra-test/no-sentinels": project.workspaceId.slice(-8) };
  // The cluster admin refuses sentinel pods in this workspace's namespace (eu-west only): a
  // ValidatingAdmissionPolicy, real admission; the deployment's own pods are allowed.
  await kubeOk(state, "eu-west", "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: ns, labels: label },
  });
  const admission = "/apis/admissionregistration.k8s.io/v1";
  await kubeOk(state, "eu-west", "POST", `${admission}/validatingadmissionpolicies`, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicy",
    metadata: { name: policy },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }],
      },
      validations: [
        {
          expression: `!has(object.metadata.labels) || !('${LABEL.component}' in object.metadata.labels) || object.metadata.labels['${LABEL.component}'] != 'sentinel'`,
          message: "no sentinels in this namespace",
        },
      ],
    },
  });
  await kubeOk(state, "eu-west", "POST", `${admission}/validatingadmissionpolicybindings`, {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingAdmissionPolicyBinding",
    metadata: { name: policy },
    spec: {
      policyName: policy,
      validationActions: ["Deny"],
      matchResources: { namespaceSelector: { matchLabels: label } },
    },
  });
  try {
    // The policy is in force once a sentinel-labelled pod is refused (dry run: nothing is created).
    await waitFor(
      "the admission policy in force",
      async () => {
        const probe = await kubeRequest<{ message?: string }>(
          state,
          "eu-west",
          "POST",
          `/api/v1/namespaces/${ns}/pods?dryRun=All`,
          {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: "probe", labels: { [LABEL.component]: "sentinel" } },
            spec: { containers: [{ name: "c", image: "x" }] },
          },
        );
        return probe.status >= 400 && probe.body?.message?.includes(policy) ? true : undefined;
      },
      30_000,
    );
    const id = await h.deploy(project);
    const row = await h.waitForStatus(id, ["ready", "failed", "cancelled"], 90_000);
    expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
    expect(row.failure_reason).toContain(
      `region eu-west: the pods of sentinel ${ns}/${sentinelName(project.productionId)} are refused`,
    );
    expect(row.failure_reason).toContain(policy);
    expect(await h.domains(project.projectId)).toEqual([]);
  } finally {
    await kubeRequest(state, "eu-west", "DELETE", `${admission}/validatingadmissionpolicybindings/${policy}`);
    await kubeRequest(state, "eu-west", "DELETE", `${admission}/validatingadmissionpolicies/${policy}`);
  }
}, 150_000);

it("transient API errors while applying (503s, a 429 with Retry-After) are retried: the deploy still becomes READY", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const ns = namespaceName(project.workspaceId);
  const since = Object.fromEntries(REGION_NAMES.map((r) => [r, proxy(r).requests().at(-1)?.seq ?? 0]));
  proxy("eu-west").injectFault({ status: 503, count: 3, method: "PATCH", path: `/namespaces/${ns}/deployments/` });
  proxy("us-east").injectFault({
    status: 429,
    count: 1,
    method: "PATCH",
    path: `/namespaces/${ns}/ciliumnetworkpolicies/`,
    retryAfterSeconds: 1,
  });
  let id: string;
  try {
    id = await h.deployReady(project);
  } finally {
    proxy("eu-west").clearFaults();
    proxy("us-east").clearFaults();
  }
  expect(await replicasIn(project, id)).toEqual(REGIONS);
  expect(await podsIn(project, id)).toEqual(REGIONS);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
  // The faults were answered, and the same requests then went through to the API servers.
  const patches = (region: string, kind: string) =>
    proxy(region)
      .requests(since[region])
      .filter((r) => r.method === "PATCH" && r.path.includes(`/namespaces/${ns}/${kind}/`));
  const eu = patches("eu-west", "deployments");
  expect(eu.filter((r) => r.injected).map((r) => r.status)).toEqual([503, 503, 503]);
  expect(eu.filter((r) => !r.injected && r.status! < 300).length).toBeGreaterThanOrEqual(1);
  const us = patches("us-east", "ciliumnetworkpolicies");
  expect(us.filter((r) => r.injected).map((r) => r.status)).toEqual([429]);
  expect(us.filter((r) => !r.injected && r.status! < 300).length).toBeGreaterThanOrEqual(1);
}, 150_000);

it("out of order: the older deployment, whose pods in one region are ready late, finishing last leaves the newer one live", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const olderSha = randomSha();
  const newerSha = randomSha();
  // kwok makes the older one's pods in eu-west Ready 15 s after they are scheduled; the newer one's at once.
  const older = await h.deploy(project, { sha: olderSha, branch: "feature-a", image: readyAfter15sIn("eu-west") });
  await waitFor(
    "the older deployment's pods in eu-west",
    async () => ((await podsIn(project, older))["eu-west"] === REGIONS["eu-west"] ? true : undefined),
    60_000,
  );
  const newer = await h.deployReady(project, { sha: newerSha, branch: "feature-b" });
  expect((await h.waitForStatus(older, ["ready", "failed", "cancelled"], 90_000)).status).toBe("ready");
  await h.waitForRunEnd(`deploy:${older}`, 30_000);

  // The scenario happened: the older deployment's routing came after the newer one's.
  const generations = await h.pool.query<{ key: string }>(
    "SELECT idempotency_key AS key FROM routing_operations WHERE project_id = $1 ORDER BY routing_generation",
    [project.projectId],
  );
  expect(generations.rows.map((r) => r.key)).toEqual([`assign:${newer}`, `assign:${older}`]);

  const o = expectedDomains(project, { sha: olderSha, branch: "feature-a", environment: "production" });
  const n = expectedDomains(project, { sha: newerSha, branch: "feature-b", environment: "production" });
  expect(await h.domainMap(project.projectId)).toEqual({
    [o.commit]: older,
    [o.branch]: older,
    [n.commit]: newer,
    [n.branch]: newer,
    [n.environment]: newer,
    [n.live]: newer,
  });
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: newer, is_rolled_back: false });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
  // The older one never was live: nothing scheduled the newer one's standby.
  expect((await h.deployment(newer)).desired_state).toBe("running");
}, 180_000);

it("pods that run but never become Ready in one region → FAILED at wait-ready at the deadline, scaled down, no route moved", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const live = await h.deployReady(project);
  const domainsBefore = await h.domainMap(project.projectId);
  const before = await h.projectRow(project.projectId);

  const failed = await h.deploy(project, { image: neverReadyIn("eu-west") });
  const row = await h.waitForStatus(failed, ["ready", "failed", "cancelled"], 120_000);
  expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
  expect(row.failure_reason).toContain("region eu-west");
  expect(row.failure_reason).toContain("readiness probe failing");
  expect((await h.waitForRunEnd(`deploy:${failed}`, 30_000)).status).toBe("failed");
  await scaledToZero(project, failed);

  expect(await h.domainMap(project.projectId)).toEqual(domainsBefore);
  expect(await h.projectRow(project.projectId)).toMatchObject({
    live_deployment_id: live,
    routing_generation: before.routing_generation,
  });
  const gateway = await h.pool.query("SELECT hostname FROM gateway_configs WHERE deployment_id = $1", [failed]);
  expect(gateway.rows).toEqual([]);
  const instances = await h.pool.query(
    "SELECT status FROM instances WHERE deployment_id = $1 AND status <> 'stopped'",
    [failed],
  );
  expect(instances.rows).toEqual([]);
  expect(await replicasIn(project, live)).toEqual(REGIONS);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
  // GetDeployment names the failed step and its error.
  const got = await h.deployments.getDeployment({ deploymentId: failed });
  expect(got.deployment).toMatchObject({ status: DeploymentStatus.FAILED, failedStep: "wait-ready" });
  expect(got.steps.find((s) => s.name === "wait-ready")).toMatchObject({ status: "failed" });
  expect(got.steps.find((s) => s.name === "wait-ready")?.error).toContain("region eu-west");
}, 210_000);

it("a rollback to a standby deployment that cannot be woken (its region takes no pods) → failed_precondition, nothing moved, back to 0 replicas", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const sleeping = await h.deployReady(project);
  const live = await h.deployReady(project);
  expect((await h.waitForRunEnd(`standby:${sleeping}:deploy:${live}`, 30_000)).status).toBe("completed");
  await scaledToZero(project, sleeping);
  const domainsBefore = await h.domainMap(project.projectId);
  const projectBefore = await h.projectRow(project.projectId);

  const error = await withCordoned("eu-west", () =>
    h.deploys.rollback({ sourceDeploymentId: live, targetDeploymentId: sleeping }).then(
      () => null,
      (e: unknown) => e,
    ),
  );
  expect(error).toBeInstanceOf(ConnectError);
  expect(Code[(error as ConnectError).code]).toBe("FailedPrecondition");
  expect((error as ConnectError).rawMessage).toContain(sleeping);
  expect((error as ConnectError).rawMessage).toContain("eu-west");

  expect(await h.domainMap(project.projectId)).toEqual(domainsBefore);
  expect(await h.projectRow(project.projectId)).toEqual(projectBefore);
  await scaledToZero(project, sleeping);
  expect((await h.deployment(sleeping)).desired_state).toBe("standby");
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}, 210_000);

it("a standby deployment whose Deployments were deleted behind hydra's back is re-applied when a rollback wakes it", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const gone = await h.deployReady(project, { branch: "deleted" });
  const live = await h.deployReady(project, { branch: "deleted" }); // takes the branch: `gone` goes to standby
  expect((await h.waitForRunEnd(`standby:${gone}:deploy:${live}`, 30_000)).status).toBe("completed");
  await scaledToZero(project, gone);
  const ns = namespaceName(project.workspaceId);
  for (const region of REGION_NAMES) await kubeOk(state, region, "DELETE", deploymentPath(ns, workloadName(gone)));
  await waitFor(
    "the Deployments to be gone",
    async () => (Object.values(await replicasIn(project, gone)).every((r) => r === undefined) ? true : undefined),
    30_000,
  );

  const response = await h.deploys.rollback({ sourceDeploymentId: live, targetDeploymentId: gone });
  expect(response.liveDeploymentId).toBe(gone);
  expect(await replicasIn(project, gone)).toEqual(REGIONS);
  expect(await podsIn(project, gone)).toEqual(REGIONS);
  const instances = await h.pool.query<{ region: string }>(
    "SELECT region FROM instances WHERE deployment_id = $1 AND status = 'ready' ORDER BY region",
    [gone],
  );
  expect(instances.rows.map((i) => i.region)).toEqual(["eu-west", "eu-west", "us-east"]);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}, 180_000);
