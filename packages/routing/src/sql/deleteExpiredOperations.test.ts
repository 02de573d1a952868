import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { createProjectFixture } from "../testing";
import { deleteExpiredOperations } from "./deleteExpiredOperations";

let database: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  database = await createTestDatabase("routing_operations_retention");
  pool = createPool(database.url, { max: 2 });
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function operation(projectId: string, generation: number, daysAgo: number): Promise<void> {
  await pool.query(
    `INSERT INTO routing_operations (id, project_id, routing_generation, kind, idempotency_key, request_hash, response, created_at)
     VALUES ($1, $2, $3, 'assign_domains', $1, 'h', '{}', now() - make_interval(days => $4))`,
    [newId("routingOperation"), projectId, generation, daysAgo],
  );
}

it("deletes operations older than the cutoff, but never a project's newest", async () => {
  const busy = await createProjectFixture(pool);
  const quiet = await createProjectFixture(pool);
  await operation(busy.projectId, 1, 100);
  await operation(busy.projectId, 2, 95);
  await operation(busy.projectId, 3, 1);
  await operation(quiet.projectId, 1, 200);
  const cutoff = new Date(Date.now() - 90 * 24 * 3_600_000);

  expect(await deleteExpiredOperations(pool, cutoff, 1)).toBe(1);
  expect(await deleteExpiredOperations(pool, cutoff, 100)).toBe(1);
  const left = await pool.query<{ project_id: string; routing_generation: bigint }>(
    "SELECT project_id, routing_generation FROM routing_operations ORDER BY project_id, routing_generation",
  );
  expect(left.rows.map((r) => [r.project_id, r.routing_generation])).toEqual(
    [
      [busy.projectId, 3n],
      [quiet.projectId, 1n],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
});
