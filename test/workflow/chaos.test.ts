import type { Pool } from "@hydra/db";
import type { TestDatabase } from "@hydra/db/testing";
import { createSideEffectsDatabase, spawnWorker, type WorkerProcess } from "./fixtures/processes";

// Many runs over three processes sharing one database, one of them SIGKILLed mid-flight at an
// arbitrary moment: every run still completes, each with exactly its journal, and no step body
// ran more than twice (once in the killed process, once in its successor).
describe("chaos: a worker killed under load (real processes)", () => {
  let db: TestDatabase;
  let pool: Pool;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ db, pool } = await createSideEffectsDatabase("wf_chaos"));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await pool.end();
    await db.drop();
  });

  it("completes every run with each step recorded once", async () => {
    const RUNS = 30;
    const env = { DATABASE_URL: db.url, LEASE_MS: "700", SWEEP_MS: "150" };
    const [victim, bystander] = [spawnWorker("V", env), spawnWorker("W", env)];
    workers.push(victim, bystander);
    await Promise.all([victim.waitFor(/^READY started/), bystander.waitFor(/^READY started/)]);
    for (let i = 0; i < RUNS; i++) (i % 2 ? bystander : victim).send(`start chaos-${i} ${100 + (i % 5) * 50}`);

    const count = async (sql: string) => Number((await pool.query<{ n: number }>(sql)).rows[0]!.n);
    const deadline = Date.now() + 30_000;
    // Every run exists (its start was not lost with the victim) and some work is done.
    while (
      (await count("SELECT count(*)::int AS n FROM workflow_runs")) < RUNS ||
      (await count("SELECT count(*)::int AS n FROM side_effects")) < RUNS
    ) {
      if (Date.now() > deadline) throw new Error("runs made no progress");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await victim.kill(); // somewhere in the middle: some runs done, some running, some asleep
    const successor = spawnWorker("S", env);
    workers.push(successor);

    while ((await count("SELECT count(*)::int AS n FROM workflow_runs WHERE status = 'completed'")) < RUNS) {
      if (Date.now() > deadline) {
        const { rows } = await pool.query(
          "SELECT id, status, owner, epoch FROM workflow_runs WHERE status <> 'completed'",
        );
        throw new Error(
          `not all runs completed: ${JSON.stringify(rows, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const journals = await pool.query<{ run_id: string; names: string[] }>(
      "SELECT run_id, array_agg(name || ':' || status ORDER BY sequence) AS names FROM workflow_steps GROUP BY run_id",
    );
    expect(journals.rows).toHaveLength(RUNS);
    for (const { names } of journals.rows) {
      expect(names).toEqual(["s1:completed", "s2:completed", "s3:completed", "$sleep:pause:completed", "s4:completed"]);
    }
    const effects = await pool.query<{ run_id: string; step: string; n: number; workers: string[] }>(
      "SELECT run_id, step, count(*)::int AS n, array_agg(worker ORDER BY at) AS workers FROM side_effects GROUP BY run_id, step",
    );
    expect(effects.rows).toHaveLength(RUNS * 4);
    for (const row of effects.rows) {
      if (row.n === 1) continue;
      // Only a step the killed process was inside can have run twice, and then once more elsewhere.
      expect(row.n).toBe(2);
      expect(row.workers[0]).toBe("V");
    }
    const repeatedPerRun = new Map<string, number>();
    for (const row of effects.rows)
      if (row.n > 1) repeatedPerRun.set(row.run_id, (repeatedPerRun.get(row.run_id) ?? 0) + 1);
    expect([...repeatedPerRun.values()].every((n) => n === 1)).toBe(true);
  });
});
