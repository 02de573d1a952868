// routing-svc goes away while a deploy is routing: assign-routes retries (the step is
// idempotent by its key), and the deployment becomes READY once routing-svc is back.
import { freePort } from "../../packages/routing/src/testing";
import { Hydra, waitFor, type ProjectInfo } from "./support/harness";

let h: Hydra;
let project: ProjectInfo;

beforeAll(async () => {
  h = await Hydra.start({
    label: "routing_outage",
    routingPort: await freePort(),
    deployEnv: { HYDRA_STANDBY_DELAY: "1h" },
  });
  project = await h.createProject();
  await h.deployReady(project);
}, 60_000);

afterAll(async () => h?.close());

async function assignAttempts(id: string): Promise<number> {
  const { rows } = await h.pool.query<{ attempts: number }>(
    "SELECT attempts FROM workflow_steps WHERE run_id = $1 AND name = 'assign-routes'",
    [`deploy:${id}`],
  );
  return rows[0]?.attempts ?? 0;
}

it.each([
  ["a routing-svc restart (about a second)", 0],
  ["an outage of eight seconds", 8_000],
])(
  "the deploy survives %s during assign-routes",
  async (_what, extraDownMs) => {
    await h.routingSvc.stop("SIGKILL");
    const id = await h.deploy(project);
    await waitFor(
      "a failed assign-routes attempt",
      async () => ((await assignAttempts(id)) >= 1 ? true : undefined),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, extraDownMs));
    await h.restartRouting();
    const row = await h.waitForStatus(id, ["ready", "failed"], 30_000);
    const run = await h.waitForRunEnd(`deploy:${id}`, 30_000);
    expect({ status: row.status, run: run.status, error: run.error }).toEqual({
      status: "ready",
      run: "completed",
      error: null,
    });
    expect((await h.projectRow(project.projectId)).live_deployment_id).toBe(id);
    expect(await h.invariantViolations(project.projectId)).toEqual([]);
  },
  60_000,
);
