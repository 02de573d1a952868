// Deploy end to end on the Kubernetes stand-in with two regions: domains, gateway configs,
// instances and the cluster objects read back from the stand-in's API; a second deploy moves
// the sticky domains and puts the first one in standby; out-of-order completion; a region
// that never becomes ready.
import {
  CILIUM_NAMESPACE_LABEL,
  namespaceName,
  networkPolicyName,
  sentinelName,
  sentinelSelector,
  workloadName,
  workloadSelector,
} from "@hydra/cluster";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeploymentStatus } from "@hydra/proto/hydra/v1";
import { startStandIn, type StandIn } from "../k8s";
import { expectedDomains, Hydra, randomSha, waitFor, type ProjectInfo } from "./support/harness";

const REGIONS = { "us-east": 1, "eu-west": 2 };
let h: Hydra;
let standIn: StandIn;

beforeAll(async () => {
  standIn = await startStandIn({ regions: Object.keys(REGIONS), readyDelayMs: 30 });
  h = await Hydra.start({
    label: "deploy_k8s",
    deployEnv: {
      HYDRA_CLUSTER_DRIVER: "kubernetes",
      HYDRA_CLUSTERS: standIn.clustersPath,
      HYDRA_STANDBY_DELAY: "1s",
      // Long enough for "out of order" (the older deployment's pods take 5 s) with slack on a loaded machine.
      HYDRA_READY_TIMEOUT: "10s",
    },
  });
}, 120_000); // a stand-in and two services starting on shared cores: as deploy-kube.test.ts allows

afterAll(async () => {
  await h?.close();
  await standIn?.stop();
});

interface KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown> & { replicas?: number };
}

async function kubeGet(region: string, path: string): Promise<KubeObject | null> {
  // The stand-in's default bearer token (the kubeconfig it writes carries the same).
  const response = await fetch(`${standIn.regions[region]!.url}${path}`, {
    headers: { authorization: "Bearer standin-token" },
  });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET ${path} in ${region}: ${response.status} ${await response.text()}`);
  return (await response.json()) as KubeObject;
}
const deploymentPath = (ns: string, name: string) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`;
const policyPath = (ns: string, name: string) => `/apis/cilium.io/v2/namespaces/${ns}/ciliumnetworkpolicies/${name}`;

async function replicasIn(project: ProjectInfo, deploymentId: string): Promise<Record<string, number | undefined>> {
  const ns = namespaceName(project.workspaceId);
  const entries = await Promise.all(
    Object.keys(REGIONS).map(
      async (region) =>
        [region, (await kubeGet(region, deploymentPath(ns, workloadName(deploymentId))))?.spec.replicas] as const,
    ),
  );
  return Object.fromEntries(entries);
}

describe("a deploy of an image", () => {
  let project: ProjectInfo;
  let first: string;
  let second: string;
  const firstSha = randomSha();

  beforeAll(async () => {
    project = await h.createProject({ regions: REGIONS });
    first = await h.deployReady(project, { sha: firstSha, branch: "main" });
  });

  it("is READY with its commit, branch, environment and live domains, gateway configs and instances", async () => {
    const names = expectedDomains(project, { sha: firstSha, branch: "main", environment: "production" });
    expect(await h.domains(project.projectId)).toEqual(
      [
        { name: names.commit, sticky: "unspecified" },
        { name: names.branch, sticky: "branch" },
        { name: names.environment, sticky: "environment" },
        { name: names.live, sticky: "live" },
      ]
        .map((d) => ({ ...d, deployment_id: first, environment_id: project.productionId }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    const gateway = await h.pool.query<{
      hostname: string;
      deployment_id: string;
      config: { deploymentId: string; sentinels: { region: string; serviceHost: string; servicePort: number }[] };
    }>("SELECT hostname, deployment_id, config FROM gateway_configs WHERE project_id = $1 ORDER BY hostname", [
      project.projectId,
    ]);
    expect(gateway.rows.map((g) => g.hostname)).toEqual(Object.values(names).sort());
    for (const row of gateway.rows)
      expect({ table: row.deployment_id, config: row.config.deploymentId }).toEqual({ table: first, config: first });

    const instances = await h.pool.query<{ id: string; region: string; address: string; status: string }>(
      "SELECT id, region, address, status FROM instances WHERE deployment_id = $1 ORDER BY region, id",
      [first],
    );
    expect(instances.rows.map((i) => i.region)).toEqual(["eu-west", "eu-west", "us-east"]);
    for (const instance of instances.rows) expect(instance.address).toMatch(/^\d+\.\d+\.\d+\.\d+(:\d+)?$/);
    // The edge is sent to the environment's sentinel Service in each region, never to pod addresses.
    const namespace = namespaceName(project.workspaceId);
    const sentinelHost = `${sentinelName(project.productionId)}.${namespace}.svc.cluster.local`;
    for (const row of gateway.rows) {
      expect(row.config.sentinels).toEqual(
        Object.keys(REGIONS)
          .sort()
          .map((region) => ({ region, serviceHost: sentinelHost, servicePort: 80, externalAddress: "" })),
      );
    }

    const project_ = await h.projects.getProject({ projectId: project.projectId });
    expect({ live: project_.project?.liveDeploymentId, rolledBack: project_.project?.isRolledBack }).toEqual({
      live: first,
      rolledBack: false,
    });
    const got = await h.deployments.getDeployment({ deploymentId: first });
    expect(got.deployment?.status).toBe(DeploymentStatus.READY);
    expect(got.deployment?.image).toBe("nginx:1.27");
    expect(got.instances).toHaveLength(3);
    expect(got.domains.map((d) => d.name).sort()).toEqual(Object.values(names).sort());
    expect(got.topologies.map((t) => [t.region, t.desiredReplicas]).sort()).toEqual([
      ["eu-west", 2],
      ["us-east", 1],
    ]);
    expect(got.steps.filter((s) => !s.name.startsWith("$")).map((s) => [s.name, s.status])).toEqual(
      [
        "load-metadata",
        "build",
        "deploying",
        "create-topologies",
        "ensure-sentinels",
        "ensure-network-policy",
        "apply-workloads",
        "wait-ready",
        "build-routes",
        "assign-routes",
        "ready",
        "update-live",
        "schedule-standby",
      ].map((n) => [n, "completed"]),
    );
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  });

  it.each(Object.keys(REGIONS))("applied the sentinel, the network policy and the workload in %s", async (region) => {
    const ns = namespaceName(project.workspaceId);
    const sentinel = await kubeGet(region, deploymentPath(ns, sentinelName(project.productionId)));
    expect(sentinel?.metadata.name).toBe(sentinelName(project.productionId));
    const policy = await kubeGet(region, policyPath(ns, networkPolicyName(first)));
    expect(policy?.spec).toMatchObject({
      endpointSelector: { matchLabels: workloadSelector(first) },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { ...sentinelSelector(project.productionId), [CILIUM_NAMESPACE_LABEL]: ns } }],
        },
      ],
    });
    const workload = await kubeGet(region, deploymentPath(ns, workloadName(first)));
    expect(workload?.spec.replicas).toBe(REGIONS[region as keyof typeof REGIONS]);
  });

  it("a second deploy on the branch moves branch, environment and live domains; the first keeps its commit domain and goes to standby", async () => {
    const secondSha = randomSha();
    second = await h.deployReady(project, { sha: secondSha, branch: "main" });
    const before = expectedDomains(project, { sha: firstSha, branch: "main", environment: "production" });
    const after = expectedDomains(project, { sha: secondSha, branch: "main", environment: "production" });
    expect(await h.domainMap(project.projectId)).toEqual({
      [before.commit]: first,
      [after.commit]: second,
      [after.branch]: second,
      [after.environment]: second,
      [after.live]: second,
    });
    expect((await h.projectRow(project.projectId)).live_deployment_id).toBe(second);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
    // The sentinel is reused: one per environment and region.
    const sentinels = await h.pool.query("SELECT region FROM sentinels WHERE environment_id = $1 ORDER BY region", [
      project.productionId,
    ]);
    expect(sentinels.rows).toEqual([{ region: "eu-west" }, { region: "us-east" }]);

    // Standby after HYDRA_STANDBY_DELAY (1 s): scaled to zero in both regions; the new one keeps running.
    const standby = await h.waitForRunEnd(`standby:${first}:deploy:${second}`, 15_000);
    expect(standby.status).toBe("completed");
    expect((await h.deployment(first)).desired_state).toBe("standby");
    expect(await replicasIn(project, first)).toEqual({ "us-east": 0, "eu-west": 0 });
    expect(await replicasIn(project, second)).toEqual(REGIONS);
    expect((await h.deployment(second)).desired_state).toBe("running");
  });

  it("a rollback to the deployment in standby wakes it (replicas back, instances recorded) before it takes the traffic", async () => {
    const response = await h.deploys.rollback({ sourceDeploymentId: second, targetDeploymentId: first });
    expect(response).toMatchObject({ previousLiveDeploymentId: second, liveDeploymentId: first });
    expect(await replicasIn(project, first)).toEqual(REGIONS);
    expect((await h.deployment(first)).desired_state).toBe("running");
    const instances = await h.pool.query<{ region: string }>(
      "SELECT region FROM instances WHERE deployment_id = $1 AND status <> 'stopped' ORDER BY region",
      [first],
    );
    expect(instances.rows.map((i) => i.region)).toEqual(["eu-west", "eu-west", "us-east"]);
    // The target's gateway configs name its sentinels, so the woken pods need no routing change.
    const names = expectedDomains(project, { sha: firstSha, branch: "main", environment: "production" });
    const gateway = await h.pool.query<{
      hostname: string;
      deployment_id: string;
      config: { deploymentId: string; instances: { id: string }[] };
    }>("SELECT hostname, deployment_id, config FROM gateway_configs WHERE hostname = ANY($1) ORDER BY hostname", [
      [names.live, names.environment],
    ]);
    expect(gateway.rows.map((g) => [g.hostname, g.deployment_id, g.config.deploymentId])).toEqual(
      [names.environment, names.live].sort().map((n) => [n, first, first]),
    );
    const configs = await h.pool.query<{ hostname: string; config: { sentinels: { region: string }[] } }>(
      "SELECT hostname, config FROM gateway_configs WHERE deployment_id = $1",
      [first],
    );
    expect(configs.rows.map((g) => g.hostname).sort()).toEqual([names.commit, names.environment, names.live].sort());
    for (const row of configs.rows)
      expect(row.config.sentinels.map((s) => s.region)).toEqual(Object.keys(REGIONS).sort());
    expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: first, is_rolled_back: true });
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  });
});

it("out of order: the older deployment finishing last leaves the newer one live", async () => {
  const project = await h.createProject({ regions: REGIONS });
  // The older one's pods take 5 s to become ready (the deadline is 10 s), the newer one's 30 ms: the newer one
  // finishes first even on a loaded machine (1.2 s was not, beside a CPU hog).
  const olderSha = randomSha();
  const newerSha = randomSha();
  let older: string;
  await standIn.setKubelet("eu-west", { readyDelayMs: 5_000 });
  try {
    older = await h.deploy(project, { sha: olderSha, branch: "feature-a" });
    await waitFor(
      "the older deployment's workloads",
      async () => ((await replicasIn(project, older))["eu-west"] !== undefined ? true : undefined),
      10_000,
    );
  } finally {
    await standIn.setKubelet("eu-west", { readyDelayMs: 30 });
  }
  const newer = await h.deployReady(project, { sha: newerSha, branch: "feature-b" });
  await h.waitForStatus(older, ["ready", "failed"]);
  await h.waitForRunEnd(`deploy:${older}`);
  expect((await h.deployment(older)).status).toBe("ready");

  // The scenario happened: the older deployment's routing came after the newer one's.
  const generations = await h.pool.query<{ key: string; generation: string }>(
    "SELECT idempotency_key AS key, routing_generation::text AS generation FROM routing_operations WHERE project_id = $1 ORDER BY routing_generation",
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
  const row = await h.projectRow(project.projectId);
  expect({ live: row.live_deployment_id, rolledBack: row.is_rolled_back }).toEqual({ live: newer, rolledBack: false });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
  // The older one never was live: nothing scheduled its successor's standby.
  expect((await h.deployment(newer)).desired_state).toBe("running");
});

it("transient API errors while applying (503s, a 429) are retried: the deploy still becomes READY", async () => {
  const project = await h.createProject({ regions: REGIONS });
  await standIn.injectFault("eu-west", { status: 503, count: 3, method: "PATCH", path: "/deployments/" });
  await standIn.injectFault("us-east", {
    status: 429,
    count: 1,
    method: "PATCH",
    path: "/ciliumnetworkpolicies/",
    retryAfterSeconds: 1,
  });
  try {
    const id = await h.deployReady(project);
    expect(await replicasIn(project, id)).toEqual(REGIONS);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  } finally {
    await standIn.clearFaults("eu-west");
    await standIn.clearFaults("us-east");
  }
  // The faults were hit (and answered) before the deploy went through.
  const eu = await standIn.requests("eu-west");
  expect(eu.filter((r) => r.method === "PATCH" && r.path.includes("/deployments/") && r.status === 503)).toHaveLength(
    3,
  );
});

it("a region that never becomes ready → FAILED at wait-ready after the deadline, scaled down, no route moved", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const live = await h.deployReady(project);
  const domainsBefore = await h.domainMap(project.projectId);
  const generationBefore = (await h.projectRow(project.projectId)).routing_generation;

  await standIn.setKubelet("eu-west", { mode: "not-ready" });
  let failed: string;
  try {
    failed = await h.deploy(project);
    const row = await h.waitForStatus(failed, ["ready", "failed", "cancelled"], 20_000);
    expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
    expect(row.failure_reason).toContain("eu-west");
    expect((await h.waitForRunEnd(`deploy:${failed}`)).status).toBe("failed");
  } finally {
    await standIn.setKubelet("eu-west", { mode: "ready" });
  }
  await waitFor(
    "the failed deployment's workloads scaled to 0",
    async () => {
      const replicas = await replicasIn(project, failed);
      return replicas["us-east"] === 0 && replicas["eu-west"] === 0 ? true : undefined;
    },
    10_000,
    async () => JSON.stringify(await replicasIn(project, failed)),
  );

  expect(await h.domainMap(project.projectId)).toEqual(domainsBefore);
  const row = await h.projectRow(project.projectId);
  expect({ live: row.live_deployment_id, generation: row.routing_generation }).toEqual({
    live,
    generation: generationBefore,
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
  const waitReady = got.steps.find((s) => s.name === "wait-ready");
  expect(waitReady?.status).toBe("failed");
  expect(waitReady?.error).toContain("eu-west");
});

it("cancel while waiting for readiness → CANCELLED, workloads scaled to 0, nothing routed", async () => {
  const project = await h.createProject({ regions: REGIONS });
  await standIn.setKubelet("us-east", { mode: "not-ready" });
  let id: string;
  try {
    id = await h.deploy(project);
    await h.deploySvc.waitForLine(
      (line) => line.includes('"deploy step"') && line.includes(id) && line.includes('"step":"wait-ready"'),
    );
    const { deployment } = await h.deployments.cancelDeployment({ deploymentId: id, reason: "changed my mind" });
    expect(deployment?.status).toBe(DeploymentStatus.CANCELLED);
  } finally {
    await standIn.setKubelet("us-east", { mode: "ready" });
  }
  expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("cancelled");
  expect(await replicasIn(project, id)).toEqual({ "us-east": 0, "eu-west": 0 });
  expect(await h.domains(project.projectId)).toEqual([]);
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: null, routing_generation: 0n });
});

it("a rollback to a deployment in standby that cannot be woken → failed_precondition, nothing moved, back to 0 replicas", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const sleeping = await h.deployReady(project);
  const live = await h.deployReady(project);
  await h.waitForRunEnd(`standby:${sleeping}:deploy:${live}`, 15_000);
  expect(await replicasIn(project, sleeping)).toEqual({ "us-east": 0, "eu-west": 0 });
  const domainsBefore = await h.domainMap(project.projectId);
  const projectBefore = await h.projectRow(project.projectId);

  await standIn.setKubelet("eu-west", { mode: "not-ready" });
  let error: unknown;
  try {
    error = await h.deploys.rollback({ sourceDeploymentId: live, targetDeploymentId: sleeping }).then(
      () => null,
      (e: unknown) => e,
    );
  } finally {
    await standIn.setKubelet("eu-west", { mode: "ready" });
  }
  expect(error).toBeInstanceOf(ConnectError);
  expect(Code[(error as ConnectError).code]).toBe("FailedPrecondition");
  expect((error as ConnectError).rawMessage).toContain(sleeping);
  expect((error as ConnectError).rawMessage).toContain("eu-west");

  expect(await h.domainMap(project.projectId)).toEqual(domainsBefore);
  expect(await h.projectRow(project.projectId)).toEqual(projectBefore);
  expect(await replicasIn(project, sleeping)).toEqual({ "us-east": 0, "eu-west": 0 });
  expect((await h.deployment(sleeping)).desired_state).toBe("standby");
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("the standby timer survives a crash of deploy-svc: the replaced deployment is scaled to 0 after the restart", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const first = await h.deployReady(project);
  const second = await h.deployReady(project);
  const runId = `standby:${first}:deploy:${second}`;
  expect((await h.run(runId))?.status).toBe("sleeping");
  await h.crashAndRestart();
  expect((await h.waitForRunEnd(runId, 15_000)).status).toBe("completed");
  expect(await replicasIn(project, first)).toEqual({ "us-east": 0, "eu-west": 0 });
  expect((await h.deployment(first)).desired_state).toBe("standby");
  expect(await replicasIn(project, second)).toEqual(REGIONS);
});

it("a standby deployment whose Deployments were deleted behind hydra's back is re-applied when a rollback wakes it", async () => {
  const project = await h.createProject({ regions: REGIONS });
  const gone = await h.deployReady(project, { branch: "deleted" });
  const live = await h.deployReady(project, { branch: "deleted" }); // takes the branch: `gone` goes to standby
  await h.waitForRunEnd(`standby:${gone}:deploy:${live}`, 15_000);
  expect(await replicasIn(project, gone)).toEqual({ "us-east": 0, "eu-west": 0 });
  const ns = namespaceName(project.workspaceId);
  for (const region of Object.keys(REGIONS)) {
    const response = await fetch(`${standIn.regions[region]!.url}${deploymentPath(ns, workloadName(gone))}`, {
      method: "DELETE",
      headers: { authorization: "Bearer standin-token" },
    });
    expect(response.ok).toBe(true);
  }
  await waitFor(
    "the Deployments to be gone",
    async () => (Object.values(await replicasIn(project, gone)).every((r) => r === undefined) ? true : undefined),
    10_000,
  );

  const response = await h.deploys.rollback({ sourceDeploymentId: live, targetDeploymentId: gone });
  expect(response.liveDeploymentId).toBe(gone);
  expect(await replicasIn(project, gone)).toEqual(REGIONS);
  const instances = await h.pool.query<{ region: string }>(
    "SELECT region FROM instances WHERE deployment_id = $1 AND status = 'ready' ORDER BY region",
    [gone],
  );
  expect(instances.rows.map((i) => i.region)).toEqual(["eu-west", "eu-west", "us-east"]);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

// Last in the file: deploy-svc is restarted with sentinels asking for more CPU than a node has.
it("a sentinel that cannot get ready → FAILED at wait-ready, the reason naming the sentinel; nothing routed", async () => {
  const project = await h.createProject({ regions: REGIONS });
  await h.deploySvc.stop();
  await h.startDeploy({ HYDRA_SENTINEL_CPU: "64" });
  const id = await h.deploy(project);
  const row = await h.waitForStatus(id, ["ready", "failed", "cancelled"], 30_000);
  expect({ status: row.status, step: row.failed_step }).toEqual({ status: "failed", step: "wait-ready" });
  const sentinel = `sentinel ${namespaceName(project.workspaceId)}/${sentinelName(project.productionId)}`;
  expect(row.failure_reason).toContain(sentinel);
  expect(row.failure_reason).toContain("Unschedulable");
  expect(await h.domains(project.projectId)).toEqual([]);
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: null });
});
