import type { Pool } from "@hydra/db";
import type { TestDatabase } from "@hydra/db/testing";
import { createSideEffectsDatabase, eventsOf, spawnWorker, type WorkerProcess } from "./fixtures/processes";

// A worker frozen past its lease (SIGSTOP: a GC pause, a suspended VM) while a step's side
// effect is done but not checkpointed. Another process reclaims the run and finishes it. When
// the frozen worker thaws (SIGCONT) it must not write anything: its checkpoint or its next
// heartbeat meets the newer epoch, and it stops. The new owner's outcome stands.
describe("a stale owner after SIGSTOP/SIGCONT (real processes)", () => {
  let db: TestDatabase;
  let pool: Pool;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ db, pool } = await createSideEffectsDatabase("wf_stale"));
  });
  afterAll(async () => {
    for (const w of workers) w.child.kill("SIGCONT");
    await Promise.all(workers.map((w) => w.kill()));
    await pool.end();
    await db.drop();
  });

  it("fences the thawed worker out; the new owner's result stands", async () => {
    const env = { DATABASE_URL: db.url, LEASE_MS: "600", SWEEP_MS: "150" };
    const frozen = spawnWorker("A", { ...env, STALL_S3_MS: "150" });
    const successor = spawnWorker("B", env);
    workers.push(frozen, successor);
    await Promise.all([frozen.waitFor(/^READY started/), successor.waitFor(/^READY started/)]);
    frozen.send("start stall-1 0");
    await frozen.waitFor(/^READY s3-stalling/);
    frozen.child.kill("SIGSTOP");

    const deadline = Date.now() + 20_000;
    let run: { status: string; output: { finishedBy: string }; epoch: bigint } | undefined;
    while (run?.status !== "completed") {
      if (Date.now() > deadline) throw new Error("stall-1 was not completed by the successor");
      await new Promise((resolve) => setTimeout(resolve, 20));
      run = (await pool.query("SELECT status, output, epoch FROM workflow_runs WHERE id = 'stall-1'")).rows[0];
    }
    frozen.child.kill("SIGCONT");
    await frozen.waitFor(/^LOG workflow (checkpoint rejected|lease lost)/);

    const after = (await pool.query("SELECT status, output, epoch FROM workflow_runs WHERE id = 'stall-1'")).rows[0];
    expect(after).toEqual(run);
    expect(run.output).toEqual({ finishedBy: "B" });
    const { rows } = await pool.query("SELECT step, worker FROM side_effects WHERE run_id = 'stall-1' ORDER BY at");
    expect(rows.map((r) => `${r.step}:${r.worker}`)).toEqual(["s1:A", "s2:A", "s3:A", "s3:B", "s4:B"]);
    expect(
      eventsOf(frozen)
        .filter((e) => e.type === "completed")
        .map((e) => e.step),
    ).toEqual(["s1", "s2"]);
    const steps = (
      await pool.query("SELECT name, status FROM workflow_steps WHERE run_id = 'stall-1' ORDER BY sequence")
    ).rows;
    expect(steps).toEqual(["s1", "s2", "s3", "s4"].map((name) => ({ name, status: "completed" })));
  });
});
