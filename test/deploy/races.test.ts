// Races between Rollback and Promote calls on one project (simulated cluster): the routing
// transaction's expected-live guard lets exactly one win; the loser is refused and the
// invariants hold.
import { Code, ConnectError } from "@connectrpc/connect";
import { Hydra, type ProjectInfo } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  h = await Hydra.start({ label: "deploy_races", deployEnv: { HYDRA_STANDBY_DELAY: "1h" } });
}, 60_000);

afterAll(async () => h?.close());

async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "OK",
    (e: unknown) => Code[ConnectError.from(e).code],
  );
}

async function threeDeployments(): Promise<{ project: ProjectInfo; a: string; b: string; c: string }> {
  const project = await h.createProject();
  const a = await h.deployReady(project);
  const b = await h.deployReady(project);
  const c = await h.deployReady(project);
  return { project, a, b, c };
}

it("two rollbacks from the live deployment to different targets at once: one wins, the other is failed_precondition", async () => {
  const { project, a, b, c } = await threeDeployments();
  const [toA, toB] = await Promise.all([
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: a })),
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: b })),
  ]);
  expect([toA, toB].sort()).toEqual(["FailedPrecondition", "OK"]);
  const winner = toA === "OK" ? a : b;
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: winner, is_rolled_back: true });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("a promote and a rollback at once: one wins, the other is failed_precondition", async () => {
  const { project, a, b, c } = await threeDeployments();
  const [promoted, rolledBack] = await Promise.all([
    outcome(h.deploys.promote({ targetDeploymentId: a })),
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: b })),
  ]);
  expect([promoted, rolledBack].sort()).toEqual(["FailedPrecondition", "OK"]);
  const row = await h.projectRow(project.projectId);
  expect(row).toMatchObject(
    promoted === "OK"
      ? { live_deployment_id: a, is_rolled_back: false }
      : { live_deployment_id: b, is_rolled_back: true },
  );
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("the loser of a rollback race keeps its standby timer: it is not live, so it still goes to standby", async () => {
  const { project, a, b, c } = await threeDeployments();
  const [toA] = await Promise.all([
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: a })),
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: b })),
  ]);
  const loser = toA === "OK" ? b : a;
  const pending = await h.pool.query<{ id: string }>(
    // A timer the race cancelled may still be finishing its cancel (claimed by a worker): not pending.
    "SELECT id FROM workflow_runs WHERE kind = 'standby' AND key = $1 AND status NOT IN ('completed', 'failed', 'cancelled') AND cancel_requested_at IS NULL",
    [loser],
  );
  expect({
    loser,
    live: (await h.projectRow(project.projectId)).live_deployment_id,
    pendingStandby: pending.rows.length,
  }).toEqual({
    loser,
    live: toA === "OK" ? a : b,
    pendingStandby: 1,
  });
});
