// Found by the churn test: a Rollback whose caller's deploy-svc dies while routing-svc is away.
// The run resumes on the restarted deploy-svc and exhausts its switch-domains retries; nobody
// waits for it any more, so it must not be parked for an operator (paused, with the target's
// standby timer cancelled): it fails, its compensations restore the target, and the live
// pointer stays where it was.
import { freePort } from "../../packages/routing/src/testing";
import { Hydra, waitFor, type ProjectInfo } from "../deploy/support/harness";

let h: Hydra;
let project: ProjectInfo;
const ids = { a: "", b: "" };

beforeAll(async () => {
  h = await Hydra.start({
    label: "orphaned_switch",
    routingPort: await freePort(),
    deployEnv: { HYDRA_STANDBY_DELAY: "1h" },
  });
  project = await h.createProject();
  ids.a = await h.deployReady(project);
  ids.b = await h.deployReady(project);
}, 120_000);

afterAll(async () => h?.close());

it("a rollback run orphaned by its caller's crash fails and runs its compensations instead of staying paused", async () => {
  await h.routingSvc.stop("SIGKILL");
  const call = h.deploys.rollback({ sourceDeploymentId: ids.b, targetDeploymentId: ids.a }).then(
    () => "ok",
    () => "failed",
  );
  const runId = await waitFor(
    "the rollback to retry switch-domains",
    async () => {
      const { rows } = await h.pool.query<{ run_id: string }>(
        "SELECT run_id FROM workflow_steps WHERE name = 'switch-domains' AND attempts >= 1 AND run_id LIKE 'rollback:%'",
      );
      return rows[0]?.run_id;
    },
    30_000,
  );
  await h.crashAndRestart();
  expect(await call).toBe("failed"); // the connection died with the instance

  const run = await h.waitForRunEnd(runId, 60_000);
  const failure = await h.pool.query<{ error_code: string | null }>(
    "SELECT error_code FROM workflow_runs WHERE id = $1",
    [runId],
  );
  expect({ status: run.status, code: failure.rows[0]!.error_code }).toEqual({ status: "failed", code: "unavailable" });
  const steps = await h.steps(runId);
  expect(steps.find((s) => s.name.startsWith("$compensate:"))).toMatchObject({ status: "completed" });
  await h.restartRouting();
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: ids.b, is_rolled_back: false });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
}, 120_000);
