import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { createDeploymentFixture, createProjectFixture, type ProjectFixture } from "@hydra/routing/testing";
import { deleteExpiredDeployData } from "./retention";

const DAY = 24 * 3_600_000;
const RETENTION = 30 * DAY;

let database: TestDatabase;
let pool: Pool;
let project: ProjectFixture;

beforeAll(async () => {
  database = await createTestDatabase("deploy_retention");
  pool = createPool(database.url, { max: 3 });
  project = await createProjectFixture(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const daysAgo = (days: number) => new Date(Date.now() - days * DAY);

async function run(id: string, status: string, endedDaysAgo: number | null, createdDaysAgo = 40): Promise<void> {
  await pool.query(
    `INSERT INTO workflow_runs (id, kind, key, input, input_hash, status, ended_at, created_at)
     VALUES ($1, 'deploy', 'k', '{}', 'h', $2::workflow_run_status, $3, $4)`,
    [id, status, endedDaysAgo === null ? null : daysAgo(endedDaysAgo), daysAgo(createdDaysAgo)],
  );
  await pool.query(
    "INSERT INTO workflow_steps (run_id, sequence, name, status) VALUES ($1, 0, 'load-metadata', 'completed')",
    [id],
  );
}

async function deployment(status: string, updatedDaysAgo: number): Promise<string> {
  const { id } = await createDeploymentFixture(pool, project);
  await pool.query("UPDATE deployments SET status = $2::deployment_status, updated_at = $3 WHERE id = $1", [
    id,
    status,
    daysAgo(updatedDaysAgo),
  ]);
  await pool.query(
    "INSERT INTO instances (id, deployment_id, region, address, status) VALUES ('i-1', $1, 'local', '10.0.0.1:8080', 'running')",
    [id],
  );
  return id;
}

async function event(deploymentId: string, createdDaysAgo: number): Promise<void> {
  await pool.query(
    "INSERT INTO deployment_events (deployment_id, kind, payload, created_at) VALUES ($1, 'status', '{}', $2)",
    [deploymentId, daysAgo(createdDaysAgo)],
  );
}

async function ids(sql: string): Promise<string[]> {
  return (await pool.query<{ id: string }>(sql)).rows.map((r) => r.id).sort();
}

it("deletes what ended before the retention period, and nothing that can still resume or is still in progress", async () => {
  await run("old-completed", "completed", 40);
  await run("old-failed", "failed", 31);
  await run("old-cancelled", "cancelled", 35);
  await run("recent-completed", "completed", 2);
  await run("old-running", "running", null);
  await run("old-sleeping", "sleeping", null); // a standby timer
  await run("old-paused", "paused", null);
  const failed = await deployment("failed", 40);
  const recentFailed = await deployment("failed", 3);
  const ready = await deployment("ready", 40);
  const inProgress = await deployment("deploying", 40);
  for (const id of [failed, ready, inProgress, recentFailed]) await event(id, 40);
  await event(ready, 1);

  // 0 keeps everything.
  expect(await deleteExpiredDeployData(pool, 0)).toEqual({ workflowRuns: 0, deploymentEvents: 0, instances: 0 });

  expect(await deleteExpiredDeployData(pool, RETENTION)).toEqual({
    workflowRuns: 3,
    deploymentEvents: 3,
    instances: 1,
  });
  expect(await ids("SELECT id FROM workflow_runs")).toEqual([
    "old-paused",
    "old-running",
    "old-sleeping",
    "recent-completed",
  ]);
  expect(await ids("SELECT DISTINCT run_id AS id FROM workflow_steps")).toEqual([
    "old-paused",
    "old-running",
    "old-sleeping",
    "recent-completed",
  ]);
  const events = await pool.query<{ deployment_id: string; n: number }>(
    "SELECT deployment_id, count(*)::int AS n FROM deployment_events GROUP BY 1",
  );
  expect(Object.fromEntries(events.rows.map((r) => [r.deployment_id, r.n]))).toEqual({ [ready]: 1, [inProgress]: 1 });
  expect(await ids("SELECT deployment_id AS id FROM instances")).toEqual([recentFailed, ready, inProgress].sort());
  // Deployment rows (and their idempotency keys) are never deleted.
  expect((await pool.query("SELECT 1 FROM deployments")).rowCount).toBe(4);

  // Repeatable.
  expect(await deleteExpiredDeployData(pool, RETENTION)).toEqual({
    workflowRuns: 0,
    deploymentEvents: 0,
    instances: 0,
  });
});
