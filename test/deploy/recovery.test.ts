// Review findings, pinned: promoting the rolled-back live deployment only clears the flag; a
// deployment row whose run was never created (a crash between the two) is started by
// deploy-svc, or cancelled cleanly; superseding or cancelling a run that never started still
// gives the deployment its final status.
import { checkCreateDeployment, DeploymentStore } from "../../packages/deploy/src";
import { Hydra, randomSha, type ProjectInfo } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  h = await Hydra.start({ label: "recovery", deployEnv: { HYDRA_STANDBY_DELAY: "1h" } });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

/** A deployment row with no Deploy run: what a crash right after the insert leaves. */
async function orphan(project: ProjectInfo, branch: string): Promise<string> {
  const store = new DeploymentStore(h.pool);
  const { deployment } = await store.create(
    checkCreateDeployment(
      {
        projectId: project.projectId,
        environmentSlug: "production",
        branch,
        commit: { sha: randomSha(), message: "", authorHandle: "", timestampMs: 0n },
        source: { dockerImage: { image: "nginx:1.27" } },
        command: [],
        idempotencyKey: "",
      },
      () => undefined,
    ),
  );
  return deployment.id;
}

it("promoting the live deployment while rolled back clears the flag and leaves ENVIRONMENT on the newer deploy", async () => {
  const project = await h.createProject();
  const a = await h.deployReady(project);
  const b = await h.deployReady(project);
  await h.deploys.rollback({ sourceDeploymentId: b, targetDeploymentId: a });
  const c = await h.deployReady(project); // while rolled back: takes ENVIRONMENT, not LIVE
  const envDomain = `${project.projectSlug}-production-${project.workspaceSlug}.hydra.run`;
  const liveDomain = `${project.projectSlug}-${project.workspaceSlug}.hydra.run`;
  expect((await h.domainMap(project.projectId))[envDomain]).toBe(c);
  expect((await h.domainMap(project.projectId))[liveDomain]).toBe(a);

  const promoted = await h.deploys.promote({ targetDeploymentId: a });
  expect(promoted.liveDeploymentId).toBe(a);
  const row = await h.projectRow(project.projectId);
  expect(row.live_deployment_id).toBe(a);
  expect(row.is_rolled_back).toBe(false);
  const domains = await h.domainMap(project.projectId);
  expect(domains[liveDomain]).toBe(a);
  expect(domains[envDomain]).toBe(c);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("starts the run of a deployment that never got one when deploy-svc starts", async () => {
  const project = await h.createProject();
  const id = await orphan(project, "orphan");
  await h.deploySvc.stop();
  await h.startDeploy();
  expect((await h.waitForStatus(id, ["ready", "failed", "cancelled"])).status).toBe("ready");
});

it("a newer deploy supersedes an orphan without failing, and cancelling an orphan marks it cancelled", async () => {
  const project = await h.createProject();
  const older = await orphan(project, "main");
  const newer = await h.deploy(project, { branch: "main" }); // must not fail on the orphan's missing run
  expect((await h.waitForStatus(older, ["superseded", "ready", "failed", "cancelled"])).status).toBe("superseded");
  expect((await h.deployment(older)).failure_reason).toBe(`superseded by ${newer}`);
  expect((await h.waitForStatus(newer, ["ready", "failed"])).status).toBe("ready");

  const lonely = await orphan(project, "lonely");
  const cancelled = await h.deployments.cancelDeployment({ deploymentId: lonely, reason: "not wanted" });
  expect(cancelled.deployment?.failureReason).toBe("not wanted");
  expect((await h.deployment(lonely)).status).toBe("cancelled");
});

it("Rollback does not wait behind deploys that hold every deploy slot", async () => {
  const project = await h.createProject();
  const a = await h.deployReady(project);
  const b = await h.deployReady(project);
  // One deploy slot, held by a deploy parked in wait-ready.
  await h.deploySvc.stop();
  await h.startDeploy({ HYDRA_WORKFLOW_CONCURRENCY: "1", HYDRA_TEST_STEP_DELAY: "wait-ready=8000" });
  const busy = await h.createProject();
  const slow = await h.deploy(busy);
  const queued = await h.deploy(busy, { branch: "other" });
  await h.deploySvc.waitForLine(
    (line) => line.includes(slow) && line.includes('"step":"wait-ready"') && line.includes('"state":"started"'),
  );

  const result = await h.deploys.rollback({ sourceDeploymentId: b, targetDeploymentId: a });
  expect(result.liveDeploymentId).toBe(a);
  // The rollback finished while the deploy slot was still taken.
  expect((await h.deployment(slow)).status).toBe("deploying");
  expect((await h.deployment(queued)).status).toBe("pending");
  await h.deploySvc.stop();
  await h.startDeploy();
});
