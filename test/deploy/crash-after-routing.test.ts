// The hardest moment to crash: the routing transaction has committed, but deploy-svc has not
// recorded its step yet. The test holds a lock on the run's row, so the step's checkpoint
// waits; once routing-svc has committed the operation, deploy-svc is killed. After the restart
// the step runs again with the same idempotency key: routing answers with the stored result,
// so there is still exactly one routing operation and the invariants hold.
import type { PoolClient } from "pg";
import { DEPLOY_STEPS } from "../../packages/deploy/src/workflows/deploy";
import { Hydra, isStepLine, waitFor, type ProjectInfo } from "./support/harness";

const STEP_DELAY_MS = 600;

let h: Hydra;
let project: ProjectInfo;

beforeAll(async () => {
  h = await Hydra.start({ label: "crash_after_routing", deployEnv: { HYDRA_STANDBY_DELAY: "1h" } });
  project = await h.createProject();
}, 60_000);

afterAll(async () => h?.close());

/** Locks the run's row so its next checkpoint blocks; returns the release. */
async function holdRun(runId: string): Promise<() => Promise<void>> {
  const client: PoolClient = await h.pool.connect();
  await client.query("BEGIN");
  await client.query("SELECT 1 FROM workflow_runs WHERE id = $1 FOR UPDATE", [runId]);
  return async () => {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release();
  };
}

async function recorded(runId: string, step: string): Promise<boolean> {
  return (await h.steps(runId)).some((s) => s.name === step && s.status === "completed");
}

async function operations(idempotencyKey: string): Promise<number> {
  const { rows } = await h.pool.query("SELECT 1 FROM routing_operations WHERE idempotency_key = $1", [idempotencyKey]);
  return rows.length;
}

it("Deploy: killed after AssignDomains committed, before assign-routes was recorded → READY, one routing operation", async () => {
  await h.deployReady(project);
  await h.deploySvc.stop();
  await h.startDeploy({ HYDRA_TEST_STEP_DELAY: `assign-routes=${STEP_DELAY_MS}` });
  const id = await h.deploy(project);
  await h.deploySvc.waitForLine(isStepLine(id, "assign-routes", "started"));
  const release = await holdRun(`deploy:${id}`);
  try {
    await waitFor(
      "the routing operation of the deploy",
      async () => ((await operations(`assign:${id}`)) === 1 ? true : undefined),
      10_000,
    );
    expect(await recorded(`deploy:${id}`, "assign-routes")).toBe(false); // the scenario: routed, not recorded
    await h.crashAndRestart({ HYDRA_TEST_STEP_DELAY: "" });
  } finally {
    await release();
  }
  const row = await h.waitForStatus(id, ["ready", "failed"]);
  expect(row.status).toBe("ready");
  expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("completed");
  const steps = (await h.steps(`deploy:${id}`)).filter((s) => !s.name.startsWith("$"));
  expect(steps.map((s) => s.name)).toEqual([...DEPLOY_STEPS]);
  expect(steps.find((s) => s.name === "assign-routes")?.attempts).toBeLessThanOrEqual(2);
  expect(await operations(`assign:${id}`)).toBe(1);
  expect(await h.projectRow(project.projectId)).toMatchObject({ live_deployment_id: id });
  expect(await h.invariantViolations(project.projectId)).toEqual([]);
});

it.each(["rollback", "promote"] as const)(
  "%s: killed after SwitchDomains committed, before switch-domains was recorded → completes, one routing operation",
  async (kind) => {
    const { live_deployment_id: live } = await h.projectRow(project.projectId);
    const { rows } = await h.pool.query<{ id: string }>(
      "SELECT id FROM deployments WHERE project_id = $1 AND status = 'ready' AND id <> $2 ORDER BY sequence DESC LIMIT 1",
      [project.projectId, live],
    );
    const target = rows[0]!.id;
    await h.deploySvc.stop();
    await h.startDeploy({ HYDRA_TEST_STEP_DELAY: `switch-domains=${STEP_DELAY_MS}` });
    const known = new Set(
      (await h.pool.query<{ id: string }>("SELECT id FROM workflow_runs WHERE kind = $1", [kind])).rows.map(
        (r) => r.id,
      ),
    );
    const call = (
      kind === "rollback"
        ? h.deploys.rollback({ sourceDeploymentId: live!, targetDeploymentId: target })
        : h.deploys.promote({ targetDeploymentId: target })
    ).catch(() => undefined);

    const runId = await waitFor(
      `the ${kind} run to reach switch-domains`,
      async () => {
        const runs = await h.pool.query<{ id: string }>(
          "SELECT id FROM workflow_runs WHERE kind = $1 AND status = 'running'",
          [kind],
        );
        const run = runs.rows.find((r) => !known.has(r.id));
        if (!run) return undefined;
        const done = await h.steps(run.id);
        return done.some((s) => s.name === "wake-target" && s.status === "completed") ? run.id : undefined;
      },
      10_000,
    );
    const release = await holdRun(runId);
    try {
      await waitFor(
        "the switch's routing operation",
        async () => ((await operations(`${runId}:switch`)) === 1 ? true : undefined),
        10_000,
      );
      expect(await recorded(runId, "switch-domains")).toBe(false);
      await h.crashAndRestart({ HYDRA_TEST_STEP_DELAY: "" });
    } finally {
      await release();
    }
    await call;
    const run = await h.waitForRunEnd(runId);
    expect({ status: run.status, error: run.error }).toEqual({ status: "completed", error: null });
    expect(run.output).toMatchObject({ previousLiveDeploymentId: live, liveDeploymentId: target });
    expect(await operations(`${runId}:switch`)).toBe(1);
    expect(await h.projectRow(project.projectId)).toMatchObject({
      live_deployment_id: target,
      is_rolled_back: kind === "rollback",
    });
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  },
);
