// Kill -9 deploy-svc while each step of Rollback and of Promote runs, restart it: the caller's
// RPC may fail, but the run completes after the restart, each step recorded once, the traffic
// on the target and the SPEC §4 invariants holding. And a standby timer outlives a crash.
// On the simulated driver with its state file (HYDRA_SIMULATED_STATE), whose workloads outlive
// deploy-svc as a real cluster's do (wake-target scales them).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expectedDomains, Hydra, randomSha, waitFor, type ProjectInfo } from "./support/harness";

const STEP_DELAY_MS = 500;
const SWITCH_STEPS = ["validate", "cancel-target-standby", "wake-target", "switch-domains", "schedule-standby"];
const CASES = [
  ...SWITCH_STEPS.map((step) => ["rollback", step] as const),
  ...SWITCH_STEPS.map((step) => ["promote", step] as const),
];

let h: Hydra;
let dir: string;
let project: ProjectInfo;
const sha = { a: randomSha(), b: randomSha() };
const ids = { a: "", b: "" };
let delayedStep = "";

const delayEnv = (step: string | undefined): Record<string, string> => ({
  HYDRA_TEST_STEP_DELAY: step ? `${step}=${STEP_DELAY_MS}` : "",
});

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "hydra-crash-switch-"));
  h = await Hydra.start({
    label: "crash_switch",
    deployEnv: {
      HYDRA_CLUSTER_DRIVER: "simulated",
      HYDRA_SIMULATED_REGIONS: "us-east,eu-west",
      HYDRA_SIMULATED_STATE: path.join(dir, "cluster.log"),
      HYDRA_SIMULATED_READY_MS: "30",
      HYDRA_STANDBY_DELAY: "1h",
      ...delayEnv(CASES[0]![1]),
    },
  });
  delayedStep = CASES[0]![1];
  project = await h.createProject({ regions: { "us-east": 1, "eu-west": 1 } });
  ids.a = await h.deployReady(project, { sha: sha.a });
  ids.b = await h.deployReady(project, { sha: sha.b });
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

it.each(CASES.map(([kind, step], index) => [kind, step, index] as const))(
  "%s: killed during %s, the run completes after the restart",
  async (kind, step, index) => {
    if (delayedStep !== step) {
      await h.deploySvc.stop();
      await h.startDeploy(delayEnv(step));
    }
    const steps = SWITCH_STEPS;
    const { live_deployment_id: live } = await h.projectRow(project.projectId);
    const target = live === ids.a ? ids.b : ids.a;
    const known = new Set(
      (await h.pool.query<{ id: string }>("SELECT id FROM workflow_runs WHERE kind = $1", [kind])).rows.map(
        (r) => r.id,
      ),
    );

    const call =
      kind === "rollback"
        ? h.deploys.rollback({ sourceDeploymentId: live!, targetDeploymentId: target })
        : h.deploys.promote({ targetDeploymentId: target });
    const outcome = call.then(
      () => "ok",
      (error: unknown) => error,
    );

    // The step runs (in its injected delay) once the steps before it are recorded.
    const runId = await waitFor(
      `the ${kind} run to reach ${step}`,
      async () => {
        const runs = await h.pool.query<{ id: string; status: string }>(
          "SELECT id, status::text AS status FROM workflow_runs WHERE kind = $1",
          [kind],
        );
        const run = runs.rows.find((r) => !known.has(r.id));
        if (!run || run.status !== "running") return undefined;
        const done = (await h.steps(run.id)).filter((s) => !s.name.startsWith("$"));
        return done.length === steps.indexOf(step) ? run.id : undefined;
      },
      10_000,
    );
    const next = CASES[index + 1]?.[1];
    await h.crashAndRestart(delayEnv(next));
    delayedStep = next ?? "";
    await outcome; // failed with the connection, most likely: the caller retries or looks the run up

    const run = await h.waitForRunEnd(runId, 20_000);
    expect({ status: run.status, error: run.error }).toEqual({ status: "completed", error: null });
    const recorded = (await h.steps(runId)).filter((s) => !s.name.startsWith("$"));
    expect(recorded.map((s) => [s.name, s.status])).toEqual(steps.map((s) => [s, "completed"]));
    for (const s of recorded) expect(s.attempts).toBeLessThanOrEqual(2);
    expect(run.output).toMatchObject({ previousLiveDeploymentId: live, liveDeploymentId: target });

    // One routing transaction for the switch, however often the run was resumed.
    const switches = await h.pool.query(
      "SELECT routing_generation FROM routing_operations WHERE idempotency_key = $1",
      [`${runId}:switch`],
    );
    expect(switches.rows).toHaveLength(1);

    const row = await h.projectRow(project.projectId);
    expect({ live: row.live_deployment_id, rolledBack: row.is_rolled_back }).toEqual({
      live: target,
      rolledBack: kind === "rollback",
    });
    const names = expectedDomains(project, { sha: sha.a, branch: "main", environment: "production" });
    const map = await h.domainMap(project.projectId);
    expect({ live: map[names.live], environment: map[names.environment] }).toEqual({
      live: target,
      environment: target,
    });
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
    // The lifecycle rule: the replaced live deployment goes to standby (a timer of this run)
    // unless a sticky domain (its branch's) still points at it.
    const sticky = await h.pool.query("SELECT name FROM domains WHERE deployment_id = $1 AND sticky <> 'unspecified'", [
      live,
    ]);
    const timer = await h.pool.query<{ status: string }>(
      "SELECT status::text AS status FROM workflow_runs WHERE id = $1",
      [`standby:${live}:${runId}`],
    );
    expect({ behindDomain: sticky.rows.length > 0, timer: timer.rows }).toEqual(
      sticky.rows.length > 0
        ? { behindDomain: true, timer: [] }
        : { behindDomain: false, timer: [{ status: "sleeping" }] },
    );
  },
);

it("the standby timer survives a crash of deploy-svc: the replaced deployment goes to standby after the restart", async () => {
  await h.deploySvc.stop();
  await h.startDeploy({ HYDRA_STANDBY_DELAY: "5s", ...delayEnv(undefined) });
  const other = await h.createProject({ regions: { "us-east": 1, "eu-west": 1 } });
  const first = await h.deployReady(other);
  const second = await h.deployReady(other);
  const runId = `standby:${first}:deploy:${second}`;
  expect((await h.run(runId))?.status).toBe("sleeping");
  await h.crashAndRestart({ HYDRA_STANDBY_DELAY: "5s", ...delayEnv(undefined) });
  const run = await h.waitForRunEnd(runId, 30_000);
  expect({ status: run.status, error: run.error }).toEqual({ status: "completed", error: null });
  expect((await h.deployment(first)).desired_state).toBe("standby");
  expect((await h.deployment(second)).desired_state).toBe("running");
  expect(await h.invariantViolations(other.projectId)).toEqual([]);
});
