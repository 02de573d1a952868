import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { setTimeout as sleep } from "node:timers/promises";
import { DeploymentLockTimeoutError, withDeploymentLock } from "./withDeploymentLock";

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase("deployment_lock");
  pool = createPool(db.url, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

it("N concurrent holders on a pool of 2 connections all finish: no connection is held while fn runs", async () => {
  const holders = 12;
  const results = await Promise.all(
    Array.from({ length: holders }, (_, i) =>
      withDeploymentLock(pool, `dep_lock_${i}`, async () => {
        await sleep(200); // a wake waiting for readiness
        const { rows } = await pool.query<{ n: number }>("SELECT $1::int AS n", [i]); // and then needing the pool
        return rows[0]!.n;
      }),
    ),
  );
  expect(results).toEqual(Array.from({ length: holders }, (_, i) => i));
  expect((await pool.query("SELECT count(*)::int AS n FROM deployment_locks")).rows[0]).toEqual({ n: 0 });
});

it("holders of the same deployment never overlap", async () => {
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 5 }, () =>
      withDeploymentLock(pool, "dep_lock_same", async () => {
        inside += 1;
        most = Math.max(most, inside);
        await sleep(30);
        inside -= 1;
      }),
    ),
  );
  expect(most).toBe(1);
});

it("a busy lock fails transiently after the wait; an expired lease is taken over", async () => {
  let release!: () => void;
  const first = withDeploymentLock(pool, "dep_lock_busy", () => new Promise<void>((resolve) => (release = resolve)));
  await sleep(50);
  const refused = await withDeploymentLock(pool, "dep_lock_busy", async () => "got it", { waitMs: 300 }).catch(
    (e: unknown) => e,
  );
  expect(refused).toBeInstanceOf(DeploymentLockTimeoutError);
  expect((refused as DeploymentLockTimeoutError).transient).toBe(true);
  // The holder stalled past its lease (simulated by expiring it): the next one takes over.
  await pool.query(
    "UPDATE deployment_locks SET expires_at = now() - interval '1 second' WHERE deployment_id = 'dep_lock_busy'",
  );
  expect(await withDeploymentLock(pool, "dep_lock_busy", async () => "taken over", { waitMs: 1_000 })).toBe(
    "taken over",
  );
  release();
  await first;
});

it("a holder whose lease was taken is told through its signal at the next renewal", async () => {
  const aborted = await withDeploymentLock(
    pool,
    "dep_lock_lost",
    async (signal) => {
      await pool.query("UPDATE deployment_locks SET owner = 'another holder' WHERE deployment_id = 'dep_lock_lost'");
      for (let i = 0; i < 100 && !signal.aborted; i++) await sleep(20);
      return signal.aborted;
    },
    { leaseMs: 90 },
  );
  expect(aborted).toBe(true);
  // Its release leaves the other holder's row alone.
  expect((await pool.query("SELECT owner FROM deployment_locks WHERE deployment_id = 'dep_lock_lost'")).rows).toEqual([
    { owner: "another holder" },
  ]);
});
