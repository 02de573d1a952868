// The lifecycle table (README "Lifecycle of a deployment's workloads", SPEC §1) through
// deploy-svc on the simulated cluster, with HYDRA_STANDBY_DELAY = 1 s: what runs (live, behind a
// BRANCH or ENVIRONMENT domain, a switch's target) keeps running; everything else goes to
// standby; a refused switch leaves its target as it was.
import { Code, ConnectError } from "@connectrpc/connect";
import { Hydra, waitFor, type ProjectInfo } from "./support/harness";

let h: Hydra;

beforeAll(async () => {
  // switch-domains waits 3 s, so two racing rollbacks both wake their targets before either switches.
  h = await Hydra.start({
    label: "standby_lifecycle",
    deployEnv: { HYDRA_STANDBY_DELAY: "1s", HYDRA_TEST_STEP_DELAY: "switch-domains=3000" },
  });
}, 60_000);

afterAll(async () => h?.close());

async function desiredState(id: string): Promise<string> {
  return (await h.deployment(id)).desired_state;
}

async function waitForStandby(id: string): Promise<void> {
  await waitFor(
    `${id} in standby`,
    async () => ((await desiredState(id)) === "standby" ? true : undefined),
    20_000,
    async () => h.diagnose(id),
  );
}

/** Waits until no standby timer of `id` is pending (each has fired, or none was started). */
async function standbyTimersSettled(id: string): Promise<void> {
  await waitFor(
    `the standby timers of ${id}`,
    async () => {
      const { rows } = await h.pool.query(
        "SELECT id FROM workflow_runs WHERE kind = 'standby' AND key = $1 AND status NOT IN ('completed', 'failed', 'cancelled')",
        [id],
      );
      return rows.length === 0 ? true : undefined;
    },
    20_000,
  );
}

async function stickyDomainsOf(id: string): Promise<string[]> {
  const { rows } = await h.pool.query<{ sticky: string }>(
    "SELECT sticky::text AS sticky FROM domains WHERE deployment_id = $1",
    [id],
  );
  return rows.map((r) => r.sticky).sort();
}

async function outcome(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "OK",
    (e: unknown) => Code[ConnectError.from(e).code],
  );
}

let project: ProjectInfo;
beforeEach(async () => {
  project = await h.createProject();
});

it("a replaced live deployment still behind its BRANCH domain keeps running", async () => {
  const a = await h.deployReady(project, { branch: "main" });
  const b = await h.deployReady(project, { branch: "other" }); // takes LIVE and ENVIRONMENT, not main's BRANCH
  expect(await stickyDomainsOf(a)).toEqual(["branch", "unspecified"]);
  await standbyTimersSettled(a);
  expect({ a: await desiredState(a), b: await desiredState(b) }).toEqual({ a: "running", b: "running" });
});

it("a preview that is no longer the newest of its branch goes to standby; the newest keeps running", async () => {
  const first = await h.deployReady(project, { environment: "preview", branch: "feature" });
  const second = await h.deployReady(project, { environment: "preview", branch: "feature" });
  expect(await stickyDomainsOf(first)).toEqual(["unspecified"]);
  await waitForStandby(first);
  await standbyTimersSettled(first);
  const topologies = await h.pool.query("SELECT status FROM deployment_topologies WHERE deployment_id = $1", [first]);
  expect(topologies.rows.map((r: { status: string }) => r.status)).toEqual(["standby"]);
  await standbyTimersSettled(second);
  expect(await desiredState(second)).toBe("running");
});

it("the rolled-back-from deployment goes to standby once no sticky domain points at it", async () => {
  const a = await h.deployReady(project, { branch: "a" });
  const b = await h.deployReady(project, { branch: "b" });
  await h.deployReady(project, { environment: "preview", branch: "b" }); // newer on branch b: takes its BRANCH domain
  expect(await stickyDomainsOf(b)).toEqual(["environment", "live", "unspecified"]);
  await h.deploys.rollback({ sourceDeploymentId: b, targetDeploymentId: a });
  expect(await stickyDomainsOf(b)).toEqual(["unspecified"]);
  await waitForStandby(b);
  await standbyTimersSettled(a);
  expect(await desiredState(a)).toBe("running");
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it("two rollbacks to standby deployments at once: the loser, woken for nothing, goes back to 0 replicas", async () => {
  const a = await h.deployReady(project, { branch: "x" });
  const b = await h.deployReady(project, { branch: "x" });
  const c = await h.deployReady(project, { branch: "x" });
  await waitForStandby(a);
  await waitForStandby(b);
  const [toA, toB] = await Promise.all([
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: a })),
    outcome(h.deploys.rollback({ sourceDeploymentId: c, targetDeploymentId: b })),
  ]);
  expect([toA, toB].sort()).toEqual(["FailedPrecondition", "OK"]);
  const [winner, loser] = toA === "OK" ? [a, b] : [b, a];
  // Both were woken (switch-domains waits 3 s); the refused one is scaled back as it was.
  const refused = await h.pool.query<{ id: string }>(
    "SELECT id FROM workflow_runs WHERE kind = 'rollback' AND key = $1 AND status <> 'completed'",
    [project.projectId],
  );
  expect(refused.rows).toHaveLength(1);
  const steps = await h.steps(refused.rows[0]!.id);
  expect(steps.filter((s) => s.name === "wake-target").map((s) => s.status)).toEqual(["completed"]);
  await h.settle();
  expect({ winner: await desiredState(winner), loser: await desiredState(loser), c: await desiredState(c) }).toEqual({
    winner: "running",
    loser: "standby",
    c: "running",
  });
  const instances = await h.pool.query<{ status: string }>(
    "SELECT DISTINCT status FROM instances WHERE deployment_id = $1",
    [loser],
  );
  expect(instances.rows.map((r) => r.status)).toEqual(["stopped"]);
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});
