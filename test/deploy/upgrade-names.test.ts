// A deploy whose run recorded its route plan before an upgrade of the hostname encoding
// (domain-label.ts) replays that plan after the upgrade: assign-routes must route the names
// this version generates, never the older scheme's names the plan recorded (issue 9).
import { legacyRoutes } from "../../packages/deploy/src/legacy-domain-names";
import { buildRoutes, type RouteInput } from "../../packages/deploy/src/routes";
import { APEX, Hydra, isStepLine } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  h = await Hydra.start({
    label: "upgrade_names",
    // Held inside assign-routes (after build-routes was recorded) until the process is killed.
    deployEnv: { HYDRA_STANDBY_DELAY: "1h", HYDRA_TEST_STEP_DELAY: "assign-routes=60000" },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("routes the new-scheme names when the recorded plan holds old-scheme ones", async () => {
  // Hyphens in the slugs and a '/' in the branch: the two schemes name every domain differently.
  const project = await h.createProject({ slug: "my-app" });
  const sha = "0123456789abcdef0123456789abcdef01234567";
  const branch = "feature/login";
  const id = await h.deploy(project, { branch, sha });
  await h.deploySvc.waitForLine(isStepLine(id, "assign-routes", "started"), 15_000);
  await h.deploySvc.stop("SIGKILL");

  const input: RouteInput = {
    projectSlug: project.projectSlug,
    workspaceSlug: project.workspaceSlug,
    environmentSlug: "production",
    production: true,
    branch,
    commitSha: sha,
    deploymentId: id,
    apex: APEX,
  };
  const current = buildRoutes(input).map((r) => r.name);
  const old = legacyRoutes(input);
  expect(old.map((r) => r.name).filter((name) => current.includes(name))).toEqual([]);
  // The run's recorded plan as the version before the upgrade wrote it.
  const recorded = await h.pool.query(
    "UPDATE workflow_steps SET output = jsonb_set(output, '{routes}', $2::jsonb) WHERE run_id = $1 AND name = 'build-routes'",
    [`deploy:${id}`, JSON.stringify(old)],
  );
  expect(recorded.rowCount).toBe(1);

  await h.startDeploy({ HYDRA_TEST_STEP_DELAY: "" });
  const row = await h.waitForStatus(id, ["ready", "failed", "cancelled", "superseded"]);
  expect({ status: row.status, reason: row.failure_reason }).toEqual({ status: "ready", reason: null });
  const run = await h.waitForRunEnd(`deploy:${id}`);
  expect(run.status).toBe("completed");

  const domains = await h.domains(project.projectId);
  expect(domains.map((d) => d.name).sort()).toEqual([...current].sort());
  expect(domains.every((d) => d.deployment_id === id)).toBe(true);
  // update-live saw the LIVE name it routed: the deployment is live.
  expect((await h.projectRow(project.projectId)).live_deployment_id).toBe(id);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}, 60_000);
