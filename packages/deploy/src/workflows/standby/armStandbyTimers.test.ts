// armStandbyTimers against the real engine table: callers that arm at the same moment (a
// switch's schedule-standby and a refused switch's restore-target, on any instance) leave one
// pending timer per idle deployment, and a timer being cancelled does not count as pending.
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { createDeploymentFixture, createProjectFixture } from "@hydra/routing/testing";
import { createEngine, type WorkflowEngine } from "@hydra/workflow";
import { armStandbyTimers } from "./armStandbyTimers";
import type { StandbyTimerDeps } from "./timers";

let database: TestDatabase;
let pool: Pool;
let engines: WorkflowEngine[];
let deps: StandbyTimerDeps[];

beforeAll(async () => {
  database = await createTestDatabase("deploy_arm_standby");
  pool = createPool(database.url, { max: 8 });
  // Two instances that do not run standby timers: the runs they start stay pending.
  engines = [createEngine({ pool, deadOwnerPollMs: 0 }), createEngine({ pool, deadOwnerPollMs: 0 })];
  deps = engines.map((engine) => ({ pool, engine, settings: { standbyDelayMs: 3_600_000 } }));
});
afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await pool.end();
  await database.drop();
});

async function pendingTimers(deploymentIds: string[]): Promise<Record<string, number>> {
  const { rows } = await pool.query<{ key: string; n: number }>(
    `SELECT key, count(*)::int AS n FROM workflow_runs
     WHERE kind = 'standby' AND key = ANY($1) AND status NOT IN ('completed', 'failed', 'cancelled')
       AND cancel_requested_at IS NULL
     GROUP BY key`,
    [deploymentIds],
  );
  return Object.fromEntries(deploymentIds.map((id) => [id, rows.find((r) => r.key === id)?.n ?? 0]));
}

it("two instances arming a project's idle deployments at once start one timer each", async () => {
  const project = await createProjectFixture(pool);
  const ids = [(await createDeploymentFixture(pool, project)).id, (await createDeploymentFixture(pool, project)).id];
  for (let round = 0; round < 5; round++) {
    await Promise.all([
      armStandbyTimers(deps[0]!, project.projectId, `switch-a-${round}`, ""),
      armStandbyTimers(deps[1]!, project.projectId, `switch-b-${round}`, ""),
    ]);
  }
  expect(await pendingTimers(ids)).toEqual({ [ids[0]!]: 1, [ids[1]!]: 1 });
});

it("a timer whose cancel was requested does not count: arming starts a new one", async () => {
  const project = await createProjectFixture(pool);
  const { id } = await createDeploymentFixture(pool, project);
  const [first] = await armStandbyTimers(deps[0]!, project.projectId, "deploy-1", "");
  await pool.query("UPDATE workflow_runs SET cancel_requested_at = now() WHERE id = $1", [first]);
  const [second] = await armStandbyTimers(deps[1]!, project.projectId, "restore-1", "");
  expect(second).toBeDefined();
  expect(second).not.toBe(first);
  expect(await pendingTimers([id])).toEqual({ [id]: 1 });
});
