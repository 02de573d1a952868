// Reconcile, don't fail, when the cluster forgot (simulated cluster without a state file: a
// restarted deploy-svc starts with an empty cluster, namespaces and sentinels included).
// wait-ready and a wake re-apply what is missing from the desired state in the database.
import { Hydra, isStepLine, type ProjectInfo } from "./support/harness";

let h: Hydra;
let project: ProjectInfo;

beforeAll(async () => {
  h = await Hydra.start({
    label: "reconcile",
    deployEnv: { HYDRA_SIMULATED_READY_MS: "50", HYDRA_STANDBY_DELAY: "1s", HYDRA_TEST_STEP_DELAY: "wait-ready=800" },
  });
  project = await h.createProject();
}, 60_000);

afterAll(async () => h?.close());

async function readyInstances(id: string): Promise<number> {
  const { rows } = await h.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM instances WHERE deployment_id = $1 AND status = 'ready'",
    [id],
  );
  return rows[0]!.n;
}

it("the cluster forgot everything during wait-ready (restart without a state file): re-applied, READY", async () => {
  const id = await h.deploy(project, { branch: "forgot" });
  await h.deploySvc.waitForLine(isStepLine(id, "wait-ready", "started"));
  await h.crashAndRestart();
  expect((await h.waitForStatus(id, ["ready", "failed", "cancelled"])).status).toBe("ready");
  expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("completed");
  expect(await readyInstances(id)).toBe(1);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("a rollback to a standby deployment the cluster forgot re-applies it, wakes it and switches", async () => {
  const a = await h.deployReady(project, { branch: "x" });
  const b = await h.deployReady(project, { branch: "x" }); // takes x's BRANCH domain: a goes to standby
  await h.waitForRunEnd(`standby:${a}:deploy:${b}`, 20_000);
  expect((await h.deployment(a)).desired_state).toBe("standby");
  await h.crashAndRestart(); // the simulated cluster is empty now
  const response = await h.deploys.rollback({ sourceDeploymentId: b, targetDeploymentId: a });
  expect(response.liveDeploymentId).toBe(a);
  expect((await h.deployment(a)).desired_state).toBe("running");
  expect(await readyInstances(a)).toBe(1);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});
