// Cancels that come too late or too early (simulated cluster): an operator's `pnpm runs cancel`
// after routing committed does not win (the deployment ends READY, still running under its
// domains); a deployment cancelled before its run existed ends that run at load-metadata.
import { checkCreateDeployment, DeploymentStore } from "../../packages/deploy/src";
import { createEngine } from "@hydra/workflow";
import { Hydra, randomSha, waitFor } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  // The ready step waits 2 s: time to cancel a run whose routing has committed.
  h = await Hydra.start({
    label: "cancel_lifecycle",
    deployEnv: { HYDRA_STANDBY_DELAY: "1h", HYDRA_TEST_STEP_DELAY: "ready=2000" },
  });
}, 60_000);

afterAll(async () => h?.close());

it("an operator cancel after routing committed: READY, domains and pods kept, the previous live one's standby scheduled", async () => {
  const project = await h.createProject();
  const previous = await h.deployReady(project);
  const id = await h.deploy(project);
  await waitFor(
    "routing to commit",
    async () =>
      (await h.domainMap(project.projectId))[`${project.projectSlug}-${project.workspaceSlug}.hydra.run`] === id
        ? true
        : undefined,
    20_000,
  );
  const operator = createEngine({ pool: h.pool });
  await operator.cancel(`deploy:${id}`, "cancelled by an operator");
  const run = await h.waitForRunEnd(`deploy:${id}`);
  expect(run.status).toBe("cancelled");
  const row = await h.deployment(id);
  expect({ status: row.status, desired: row.desired_state }).toEqual({ status: "ready", desired: "running" });
  const stopped = await h.pool.query("SELECT id FROM instances WHERE deployment_id = $1 AND status = 'stopped'", [id]);
  expect(stopped.rows).toEqual([]);
  const topologies = await h.pool.query<{ status: string }>(
    "SELECT DISTINCT status FROM deployment_topologies WHERE deployment_id = $1",
    [id],
  );
  expect(topologies.rows.map((r) => r.status)).toEqual(["ready"]);
  const timers = await h.pool.query(
    "SELECT id FROM workflow_runs WHERE kind = 'standby' AND key = $1 AND status = 'sleeping'",
    [previous],
  );
  expect(timers.rows).toHaveLength(1);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("a deployment cancelled before its run existed: a later Deploy's run ends at load-metadata, nothing built or applied", async () => {
  const project = await h.createProject();
  const store = new DeploymentStore(h.pool);
  const { deployment } = await store.create(
    checkCreateDeployment(
      {
        projectId: project.projectId,
        environmentSlug: "production",
        branch: "main",
        commit: { sha: randomSha(), message: "", authorHandle: "", timestampMs: 0n },
        source: { dockerImage: { image: "nginx:1.27" } },
        command: [],
        idempotencyKey: "",
      },
      () => undefined,
    ),
  );
  await h.deployments.cancelDeployment({ deploymentId: deployment.id, reason: "not wanted" });
  expect((await h.deployment(deployment.id)).status).toBe("cancelled");

  await h.deploys.deploy({ deploymentId: deployment.id });
  const run = await h.waitForRunEnd(`deploy:${deployment.id}`);
  expect(run.status).toBe("cancelled");
  const steps = await h.steps(`deploy:${deployment.id}`);
  // At most load-metadata began (a cancelled step may leave no row); no build, no apply.
  expect(steps.filter((s) => !s.name.startsWith("$") && s.name !== "load-metadata").map((s) => s.name)).toEqual([]);
  const row = await h.deployment(deployment.id);
  expect({ status: row.status, reason: row.failure_reason, image: row.image }).toEqual({
    status: "cancelled",
    reason: "not wanted",
    image: null,
  });
  const topologies = await h.pool.query("SELECT region FROM deployment_topologies WHERE deployment_id = $1", [
    deployment.id,
  ]);
  expect(topologies.rows).toEqual([]);
});
