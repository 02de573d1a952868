// Kill -9 deploy-svc while each of the 13 Deploy steps runs, restart it, and the deployment
// still reaches READY: every step recorded once, in order, none completed twice, and the
// SPEC §4 routing invariants hold. One project: each case's deployment replaces the previous
// one as live, so update-live and schedule-standby have real work to do. Crash recovery is
// hydra's, not the cluster's: on the simulated driver with its state file (HYDRA_SIMULATED_STATE),
// whose workloads outlive deploy-svc as a real cluster's do.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEPLOY_STEPS } from "../../packages/deploy/src/workflows/deploy";
import { Hydra, isStepLine, type ProjectInfo } from "./support/harness";

const STEP_DELAY_MS = 500;

let h: Hydra;
let dir: string;
let project: ProjectInfo;
/** The step the running deploy-svc delays (so it can be killed inside it). */
let delayedStep: string | null = null;
let previous: string | null = null;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "hydra-crash-deploy-"));
  h = await Hydra.start({
    label: "crash_deploy",
    deployEnv: {
      HYDRA_CLUSTER_DRIVER: "simulated",
      HYDRA_SIMULATED_REGIONS: "us-east,eu-west",
      HYDRA_SIMULATED_STATE: path.join(dir, "cluster.log"),
      // Pods take a while to become ready, so a crash can land inside wait-ready's wait.
      HYDRA_SIMULATED_READY_MS: "100",
      HYDRA_STANDBY_DELAY: "1h",
      HYDRA_TEST_STEP_DELAY: `${DEPLOY_STEPS[0]}=${STEP_DELAY_MS}`,
    },
  });
  delayedStep = DEPLOY_STEPS[0];
  project = await h.createProject({ regions: { "us-east": 1, "eu-west": 2 } });
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

const delayEnv = (step: string | undefined): Record<string, string> => ({
  HYDRA_TEST_STEP_DELAY: step ? `${step}=${STEP_DELAY_MS}` : "",
});

it.each(DEPLOY_STEPS.map((step, index) => [step, index] as const))(
  "killed during %s, the deployment still becomes READY",
  async (step, index) => {
    if (delayedStep !== step) {
      await h.deploySvc.stop();
      await h.startDeploy(delayEnv(step));
    }
    const crashed = h.deploySvc;
    const id = await h.deploy(project);
    await crashed.waitForLine(isStepLine(id, step, "started"), 15_000);
    // The next case's delay is on already: the recovered run goes through it once more, slowly.
    const next = DEPLOY_STEPS[index + 1];
    await h.crashAndRestart(delayEnv(next));
    delayedStep = next ?? null;

    const row = await h.waitForStatus(id, ["ready", "failed", "cancelled", "superseded"], 20_000);
    expect({ status: row.status, reason: row.failure_reason }).toEqual({ status: "ready", reason: null });
    const run = await h.waitForRunEnd(`deploy:${id}`);
    expect(run.status).toBe("completed");

    // Each step recorded once, in order, completed; the killed one at most re-attempted once.
    const steps = (await h.steps(`deploy:${id}`)).filter((s) => !s.name.startsWith("$"));
    expect(steps.map((s) => s.name)).toEqual([...DEPLOY_STEPS]);
    expect(steps.filter((s) => s.status !== "completed")).toEqual([]);
    for (const s of steps) {
      if (s.name === step) expect([1, 2]).toContain(s.attempts);
      else expect({ name: s.name, attempts: s.attempts }).toEqual({ name: s.name, attempts: 1 });
    }
    // No step ran to completion twice across the two processes.
    const completions = [...crashed.lines, ...h.deploySvc.lines].filter(
      (line) => line.includes('"deploy step"') && line.includes(id) && line.includes('"state":"completed"'),
    );
    const perStep = new Map<string, number>();
    for (const line of completions) {
      const name = (JSON.parse(line) as { step: string }).step;
      perStep.set(name, (perStep.get(name) ?? 0) + 1);
    }
    expect([...perStep].filter(([, count]) => count > 1)).toEqual([]);

    // SPEC §4: routing invariants; the newest deployment is live; the one it replaced goes to standby later.
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
    const live = await h.projectRow(project.projectId);
    expect({ live: live.live_deployment_id, rolledBack: live.is_rolled_back }).toEqual({ live: id, rolledBack: false });
    const ownDomains = (await h.domains(project.projectId))
      .filter((d) => d.deployment_id === id)
      .map((d) => d.sticky)
      .sort();
    expect(ownDomains).toEqual(["branch", "environment", "live", "unspecified"]);
    const instances = await h.pool.query("SELECT region FROM instances WHERE deployment_id = $1 ORDER BY region", [id]);
    expect(instances.rows.map((r: { region: string }) => r.region)).toEqual(["eu-west", "eu-west", "us-east"]);
    if (previous) {
      const standby = await h.run(`standby:${previous}:deploy:${id}`);
      expect(standby?.status).toBe("sleeping");
    }
    previous = id;
  },
);
