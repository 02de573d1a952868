// `pnpm start` runs on the simulated cluster, and a user may kill -9 it mid-deploy: with its
// state file (HYDRA_SIMULATED_STATE) the simulated cluster outlives deploy-svc like a real one,
// so the deployment still reaches READY after a restart.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hydra, isStepLine, type ProjectInfo } from "./support/harness";

let h: Hydra;
let dir: string;
let project: ProjectInfo;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "hydra-sim-crash-"));
  h = await Hydra.start({
    label: "crash_simulated",
    deployEnv: {
      HYDRA_SIMULATED_STATE: path.join(dir, "cluster.json"),
      HYDRA_SIMULATED_READY_MS: "100",
      HYDRA_STANDBY_DELAY: "1h",
      HYDRA_TEST_STEP_DELAY: "apply-workloads=500,wait-ready=500",
    },
  });
  project = await h.createProject();
}, 60_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

it.each(["apply-workloads", "wait-ready"])(
  "killed during %s on the simulated cluster, the deployment still becomes READY",
  async (step) => {
    const id = await h.deploy(project, { branch: `sim-${step}` });
    await h.deploySvc.waitForLine(isStepLine(id, step, "started"));
    await h.crashAndRestart();
    expect((await h.waitForStatus(id, ["ready", "failed", "cancelled"])).status).toBe("ready");
    expect((await h.waitForRunEnd(`deploy:${id}`)).status).toBe("completed");
    const { rows } = await h.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM instances WHERE deployment_id = $1 AND status = 'ready'",
      [id],
    );
    expect(rows[0]!.n).toBe(1);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  },
);
