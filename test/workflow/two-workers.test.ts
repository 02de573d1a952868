import type { Pool } from "@hydra/db";
import type { TestDatabase } from "@hydra/db/testing";
import { createSideEffectsDatabase, eventsOf, spawnWorker, type WorkerProcess } from "./fixtures/processes";

// Two deploy-svc processes are handed the same run at the same moment (the same webhook
// delivered twice): one runs it, the other stands aside; every step ran once and the outcome
// was written once.
describe("two workers, one run (real processes)", () => {
  let db: TestDatabase;
  let pool: Pool;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ db, pool } = await createSideEffectsDatabase("wf_two"));
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await pool.end();
    await db.drop();
  });

  it("runs the workflow once when both start it at once", async () => {
    const env = { DATABASE_URL: db.url, LEASE_MS: "800", SWEEP_MS: "200" };
    workers.push(spawnWorker("W1", env), spawnWorker("W2", env));
    const [w1, w2] = workers as [WorkerProcess, WorkerProcess];
    await Promise.all([w1.waitFor(/^READY started/), w2.waitFor(/^READY started/)]);
    for (let round = 0; round < 5; round++) {
      const runId = `twice-${round}`;
      w1.send(`start ${runId} 0`);
      w2.send(`start ${runId} 0`);
      const started = await Promise.all([
        w1.waitFor(new RegExp(`^STARTED .*"${runId}"`)),
        w2.waitFor(new RegExp(`^STARTED .*"${runId}"`)),
      ]);
      expect(started.map((l) => JSON.parse(l.slice("STARTED ".length)).created).sort()).toEqual([false, true]);

      const deadline = Date.now() + 20_000;
      let run: { status: string; epoch: bigint; output: { finishedBy: string } } | undefined;
      while (run?.status !== "completed") {
        if (Date.now() > deadline)
          throw new Error(
            `${runId} did not complete: ${JSON.stringify(run, (_, v) => (typeof v === "bigint" ? String(v) : v))}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 20));
        run = (await pool.query("SELECT status, epoch, output FROM workflow_runs WHERE id = $1", [runId])).rows[0];
      }
      expect(run.epoch).toBe(1n); // claimed once, never reclaimed
      const { rows } = await pool.query(
        "SELECT step, count(*)::int AS n, min(worker) AS worker FROM side_effects WHERE run_id = $1 GROUP BY step ORDER BY step",
        [runId],
      );
      expect(rows).toEqual(["s1", "s2", "s3", "s4"].map((step) => ({ step, n: 1, worker: run!.output.finishedBy })));
      const ranBy = [w1, w2].filter((w) => eventsOf(w).some((e) => e.runId === runId));
      expect(ranBy.map((w) => w.id)).toEqual([run.output.finishedBy]);
    }
  });
});
