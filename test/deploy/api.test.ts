// The deployment API's idempotency and paging through deploy-svc (simulated cluster):
// CreateDeployment's idempotency key, hydra.v1 Deploy for an existing deployment, ListDeployments.
import { Code, ConnectError } from "@connectrpc/connect";
import { Hydra, randomSha, type ProjectInfo } from "./support/harness";

let h: Hydra;
let project: ProjectInfo;

beforeAll(async () => {
  h = await Hydra.start({ label: "deploy_api", deployEnv: { HYDRA_STANDBY_DELAY: "1h", DEPOT_TOKEN: "" } });
  project = await h.createProject();
}, 60_000);

afterAll(async () => h?.close());

async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "OK",
    (e: unknown) => Code[ConnectError.from(e).code],
  );
}

const gitSource = (sha: string) => ({
  case: "git" as const,
  value: {
    repository: "https://github.com/acme/web",
    commitSha: sha,
    branch: "main",
    contextPath: ".",
    dockerfilePath: "Dockerfile",
    installationId: 42n,
  },
});
const imageSource = (image: string) => ({ case: "dockerImage" as const, value: { image } });

it.each([
  ["an image source", () => imageSource("nginx:1.27")],
  ["a git source", () => gitSource("0123456789abcdef0123456789abcdef01234567")],
])("CreateDeployment with a repeated idempotency key and %s returns the first deployment", async (_what, source) => {
  const key = `key-${randomSha().slice(0, 8)}`;
  const request = {
    projectId: project.projectId,
    environmentSlug: "preview",
    branch: "main",
    idempotencyKey: key,
    source: source(),
  };
  const first = await h.deployments.createDeployment(request);
  const second = await h.deployments.createDeployment(request);
  expect(second.deploymentId).toBe(first.deploymentId);
  expect(second.workflowId).toBe(first.workflowId);
  const rows = await h.pool.query("SELECT id FROM deployments WHERE idempotency_key = $1", [key]);
  expect(rows.rows).toHaveLength(1);
  // The same key with another request is refused.
  expect(await codeOf(h.deployments.createDeployment({ ...request, environmentSlug: "production" }))).toBe(
    "AlreadyExists",
  );
});

it.each([
  ["an image source", () => imageSource("nginx:1.27")],
  ["a git source", () => gitSource(randomSha())],
])(
  "hydra.v1 Deploy of an existing deployment with %s returns its run; another source is already_exists",
  async (_what, source) => {
    const src = source();
    const created = await h.deployments.createDeployment({
      projectId: project.projectId,
      environmentSlug: "preview",
      branch: "main",
      source: src,
    });
    const again = await h.deploys.deploy({ deploymentId: created.deploymentId, source: src });
    expect(again.workflowId).toBe(created.workflowId);
    const runs = await h.pool.query("SELECT id FROM workflow_runs WHERE id = $1", [created.workflowId]);
    expect(runs.rows).toHaveLength(1);
    expect(
      await codeOf(h.deploys.deploy({ deploymentId: created.deploymentId, source: imageSource("nginx:9.99") })),
    ).toBe("AlreadyExists");
  },
);

it.each([
  ["malformed id", "nope", "InvalidArgument"],
  ["unknown id", "dep_01h455vb4pex5vsknk084sn02q", "NotFound"],
])("hydra.v1 Deploy of a %s is refused", async (_what, id, code) => {
  expect(await codeOf(h.deploys.deploy({ deploymentId: id, source: imageSource("nginx:1.27") }))).toBe(code);
});

it("ListDeployments pages newest first", async () => {
  const p = await h.createProject();
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await h.deploy(p, { environment: "preview" }));
  const first = await h.deployments.listDeployments({ projectId: p.projectId, pageSize: 2 });
  expect(first.deployments.map((d) => d.id)).toEqual([ids[2], ids[1]]);
  const second = await h.deployments.listDeployments({
    projectId: p.projectId,
    pageSize: 2,
    pageToken: first.nextPageToken,
  });
  expect(second.deployments.map((d) => d.id)).toEqual([ids[0]]);
  expect(second.nextPageToken).toBe("");
  expect(
    (await h.deployments.listDeployments({ projectId: p.projectId, environmentSlug: "production" })).deployments,
  ).toEqual([]);
  expect(await codeOf(h.deployments.listDeployments({ projectId: p.projectId, pageToken: "garbage" }))).toBe(
    "InvalidArgument",
  );
});

it("GetDeployment shows the steps with their timings, topologies, instances and domains", async () => {
  const p = await h.createProject();
  const id = await h.deployReady(p);
  const got = await h.deployments.getDeployment({ deploymentId: id });
  expect(got.deployment).toMatchObject({
    id,
    projectId: p.projectId,
    environmentId: p.productionId,
    branch: "main",
    image: "nginx:1.27",
    desiredState: "running",
  });
  const steps = got.steps.filter((s) => !s.name.startsWith("$"));
  expect(steps).toHaveLength(13);
  for (const step of steps) {
    expect(step).toMatchObject({ status: "completed", attempts: 1, error: "" });
    expect(step.startedAt).toBeDefined();
    expect(step.endedAt).toBeDefined();
  }
  expect(got.topologies.map((t) => [t.region, t.desiredReplicas, t.status])).toEqual([["local", 1, "ready"]]);
  expect(got.instances).toHaveLength(1);
  expect(got.domains).toHaveLength(4);
});

it.each([
  ["a READY deployment", async () => h.deployReady(await h.createProject()), "FailedPrecondition"],
  ["an unknown deployment", async () => "dep_01h455vb4pex5vsknk084sn02q", "NotFound"],
  ["a malformed id", async () => "nope", "InvalidArgument"],
])("CancelDeployment of %s is refused", async (_what, id, code) => {
  const deploymentId = await id();
  await h.settle();
  const before = await h.snapshot();
  expect(await codeOf(h.deployments.cancelDeployment({ deploymentId }))).toBe(code);
  expect(await h.snapshot()).toEqual(before);
});
