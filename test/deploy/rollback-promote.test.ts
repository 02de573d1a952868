// Rollback and Promote through deploy-svc (simulated cluster): where the domains and the live
// pointer go, what a deploy does while rolled back, and every invalid call of SPEC §3 rejected
// with its Connect code, leaving the database exactly as it was.
import { Code, ConnectError } from "@connectrpc/connect";
import { expectedDomains, Hydra, randomSha, type ProjectInfo } from "./support/harness";

let h: Hydra;
let project: ProjectInfo;
let other: ProjectInfo;
const sha = { a: randomSha(), b: randomSha(), c: randomSha() };
const ids = { a: "", b: "", c: "", preview: "", failed: "", cancelled: "", otherProject: "" };

beforeAll(async () => {
  h = await Hydra.start({
    label: "rollback_promote",
    deployEnv: { HYDRA_STANDBY_DELAY: "1h", DEPOT_TOKEN: "", HYDRA_TEST_STEP_DELAY: "" },
  });
  project = await h.createProject();
  other = await h.createProject();
  ids.a = await h.deployReady(project, { sha: sha.a });
  ids.b = await h.deployReady(project, { sha: sha.b });
}, 60_000);

afterAll(async () => h?.close());

const domainsOf = (s: string) => expectedDomains(project, { sha: s, branch: "main", environment: "production" });

it("rollback moves the LIVE and ENVIRONMENT domains to the target and sets is_rolled_back; the branch domain stays", async () => {
  const generation = (await h.projectRow(project.projectId)).routing_generation;
  const response = await h.deploys.rollback({ sourceDeploymentId: ids.b, targetDeploymentId: ids.a });
  expect(response).toMatchObject({
    previousLiveDeploymentId: ids.b,
    liveDeploymentId: ids.a,
    routingGeneration: generation + 1n,
  });

  const a = domainsOf(sha.a);
  const b = domainsOf(sha.b);
  expect(await h.domainMap(project.projectId)).toEqual({
    [a.commit]: ids.a,
    [b.commit]: ids.b,
    [b.branch]: ids.b,
    [a.environment]: ids.a,
    [a.live]: ids.a,
  });
  const row = await h.projectRow(project.projectId);
  expect({ live: row.live_deployment_id, rolledBack: row.is_rolled_back, generation: row.routing_generation }).toEqual({
    live: ids.a,
    rolledBack: true,
    generation: generation + 1n,
  });
  // A's standby (scheduled when B went live) is cancelled: it is live again.
  expect((await h.run(`standby:${ids.a}:deploy:${ids.b}`))?.status).toBe("cancelled");
  const project_ = await h.projects.getProject({ projectId: project.projectId });
  expect({ live: project_.project?.liveDeploymentId, rolledBack: project_.project?.isRolledBack }).toEqual({
    live: ids.a,
    rolledBack: true,
  });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("a deploy while rolled back takes ENVIRONMENT, BRANCH and its commit domain, but not LIVE", async () => {
  ids.c = await h.deployReady(project, { sha: sha.c });
  const a = domainsOf(sha.a);
  const b = domainsOf(sha.b);
  const c = domainsOf(sha.c);
  expect(await h.domainMap(project.projectId)).toEqual({
    [a.commit]: ids.a,
    [b.commit]: ids.b,
    [c.commit]: ids.c,
    [c.branch]: ids.c,
    [c.environment]: ids.c,
    [a.live]: ids.a,
  });
  const row = await h.projectRow(project.projectId);
  expect({ live: row.live_deployment_id, rolledBack: row.is_rolled_back }).toEqual({ live: ids.a, rolledBack: true });
  // Not live: nothing of A (live) is put in standby by this deploy.
  const output = (await h.run(`deploy:${ids.c}`))?.output as { live: boolean; standbyRunIds: string[] };
  expect({
    live: output.live,
    timersOfA: output.standbyRunIds.filter((r) => r.startsWith(`standby:${ids.a}:`)),
  }).toEqual({ live: false, timersOfA: [] });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("promote clears is_rolled_back, moves LIVE and ENVIRONMENT to the target and schedules the previous live one's standby", async () => {
  const generation = (await h.projectRow(project.projectId)).routing_generation;
  const response = await h.deploys.promote({ targetDeploymentId: ids.c });
  expect(response).toMatchObject({
    previousLiveDeploymentId: ids.a,
    liveDeploymentId: ids.c,
    routingGeneration: generation + 1n,
  });
  const c = domainsOf(sha.c);
  const map = await h.domainMap(project.projectId);
  expect({ live: map[c.live], environment: map[c.environment], branch: map[c.branch] }).toEqual({
    live: ids.c,
    environment: ids.c,
    branch: ids.c,
  });
  const row = await h.projectRow(project.projectId);
  expect({ live: row.live_deployment_id, rolledBack: row.is_rolled_back }).toEqual({ live: ids.c, rolledBack: false });
  const standby = await h.pool.query<{ id: string; status: string }>(
    "SELECT id, status::text AS status FROM workflow_runs WHERE kind = 'standby' AND key = $1 AND id LIKE $2",
    [ids.a, `standby:${ids.a}:promote:%`],
  );
  expect(standby.rows.map((r) => r.status)).toEqual(["sleeping"]);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("promoting the live deployment of a rolled-back project only clears the flag", async () => {
  await h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: ids.b });
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: ids.b, is_rolled_back: true });
  const domainsBefore = await h.domainMap(project.projectId);
  const response = await h.deploys.promote({ targetDeploymentId: ids.b });
  expect(response).toMatchObject({ previousLiveDeploymentId: ids.b, liveDeploymentId: ids.b });
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: ids.b, is_rolled_back: false });
  expect(await h.domainMap(project.projectId)).toEqual(domainsBefore);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
  // Back to C for the rejections below (live C, not rolled back).
  await h.deploys.promote({ targetDeploymentId: ids.c });
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: ids.c, is_rolled_back: false });
});

describe("every invalid rollback and promote is rejected with its code and changes nothing", () => {
  const unknown = "dep_01h455vb4pex5vsknk084sn02q";

  beforeAll(async () => {
    const previewSha = randomSha();
    const liveBefore = await h.projectRow(project.projectId);
    ids.preview = await h.deployReady(project, { environment: "preview", branch: "feature", sha: previewSha });
    // A preview deployment gets commit, branch and environment domains, no LIVE one, and leaves the live pointer.
    const names = expectedDomains(project, { sha: previewSha, branch: "feature", environment: "preview" });
    const own = (await h.domains(project.projectId)).filter((d) => d.deployment_id === ids.preview);
    expect(own.map((d) => [d.name, d.sticky])).toEqual(
      [
        [names.commit, "unspecified"],
        [names.branch, "branch"],
        [names.environment, "environment"],
      ].sort((x, y) => x[0]!.localeCompare(y[0]!)),
    );
    expect(await h.projectRow(project.projectId)).toEqual({
      ...liveBefore,
      routing_generation: liveBefore.routing_generation + 1n,
    });
    ids.otherProject = await h.deployReady(other);
    ids.failed = await h.deploy(project, { gitRepository: "https://github.com/acme/web" });
    const failed = await h.waitForStatus(ids.failed, ["failed", "ready", "cancelled"]);
    expect({ status: failed.status, step: failed.failed_step }).toEqual({ status: "failed", step: "build" });
    await h.waitForRunEnd(`deploy:${ids.failed}`);
  });

  type Call = () => Promise<unknown>;
  const cases: [string, Call, Code, () => string[]][] = [
    [
      "rollback: source = target",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: ids.c }),
      Code.InvalidArgument,
      () => [ids.c],
    ],
    [
      "rollback: different projects",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: ids.otherProject }),
      Code.FailedPrecondition,
      () => [ids.c, ids.otherProject],
    ],
    [
      "rollback: different environments",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: ids.preview }),
      Code.FailedPrecondition,
      () => [ids.c, ids.preview],
    ],
    [
      "rollback: source not live",
      () => h.deploys.rollback({ sourceDeploymentId: ids.a, targetDeploymentId: ids.b }),
      Code.FailedPrecondition,
      () => [ids.a],
    ],
    [
      "rollback: target not ready (failed)",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: ids.failed }),
      Code.FailedPrecondition,
      () => [ids.failed],
    ],
    [
      "rollback: unknown source",
      () => h.deploys.rollback({ sourceDeploymentId: unknown, targetDeploymentId: ids.a }),
      Code.NotFound,
      () => [unknown],
    ],
    [
      "rollback: unknown target",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: unknown }),
      Code.NotFound,
      () => [unknown],
    ],
    [
      "rollback: malformed source",
      () => h.deploys.rollback({ sourceDeploymentId: "nope", targetDeploymentId: ids.a }),
      Code.InvalidArgument,
      () => ["nope"],
    ],
    [
      "rollback: malformed target",
      () => h.deploys.rollback({ sourceDeploymentId: ids.c, targetDeploymentId: "prj_x" }),
      Code.InvalidArgument,
      () => ["prj_x"],
    ],
    [
      "rollback: empty ids",
      () => h.deploys.rollback({ sourceDeploymentId: "", targetDeploymentId: "" }),
      Code.InvalidArgument,
      () => [],
    ],
    [
      "promote: a failed deployment",
      () => h.deploys.promote({ targetDeploymentId: ids.failed }),
      Code.FailedPrecondition,
      () => [ids.failed],
    ],
    [
      "promote: a preview deployment",
      () => h.deploys.promote({ targetDeploymentId: ids.preview }),
      Code.FailedPrecondition,
      () => [ids.preview],
    ],
    [
      "promote: the live deployment (not rolled back)",
      () => h.deploys.promote({ targetDeploymentId: ids.c }),
      Code.FailedPrecondition,
      () => [ids.c],
    ],
    ["promote: unknown id", () => h.deploys.promote({ targetDeploymentId: unknown }), Code.NotFound, () => [unknown]],
    [
      "promote: malformed id",
      () => h.deploys.promote({ targetDeploymentId: "dep-123" }),
      Code.InvalidArgument,
      () => ["dep-123"],
    ],
    ["promote: empty id", () => h.deploys.promote({ targetDeploymentId: "" }), Code.InvalidArgument, () => []],
  ];

  it.each(cases)("%s", async (_what, call, code, named) => {
    const before = await h.snapshot();
    const error = await call().then(
      () => new Error("the call succeeded"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    const connectError = error as ConnectError;
    expect({ code: Code[connectError.code], message: connectError.rawMessage }).toEqual({
      code: Code[code],
      message: expect.any(String),
    });
    for (const id of named()) expect(connectError.rawMessage).toContain(id);
    expect(await h.snapshot()).toEqual(before);
  });
});
