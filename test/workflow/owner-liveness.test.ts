import type { Pool } from "@hydra/db";
import type { TestDatabase } from "@hydra/db/testing";
import {
  createSideEffectsDatabase,
  eventsOf,
  runEnded,
  sideEffectCounts,
  spawnWorker,
  type WorkerProcess,
} from "./fixtures/processes";

// Crash recovery without waiting for the lease (issue 13). Every engine holds a session-level
// advisory lock keyed by its owner id; when its process dies Postgres releases the lock at
// once and the other instances reclaim its runs. The leases here are long (30 s) on purpose:
// a run that finishes elsewhere within the wait below was recovered by the liveness path, not
// by lease expiry. Side effects are rows the step bodies commit, so the counts are what ran.
const LONG_LEASE = "30000";
const WAIT_MS = 15_000; // half the lease

describe("owner liveness: crash recovery faster than the lease (real processes)", () => {
  let db: TestDatabase;
  let pool: Pool;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    ({ db, pool } = await createSideEffectsDatabase("wf_liveness"));
  });
  afterEach(async () => {
    for (const w of workers) w.child.kill("SIGCONT");
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  function worker(id: string, env: Record<string, string> = {}): WorkerProcess {
    const w = spawnWorker(id, { DATABASE_URL: db.url, LEASE_MS: LONG_LEASE, SWEEP_MS: "200", ...env });
    workers.push(w);
    return w;
  }

  async function started(...ws: WorkerProcess[]): Promise<void> {
    await Promise.all(ws.map((w) => w.waitFor(/^READY started/)));
  }

  const ended = (runId: string) => runEnded(pool, runId, WAIT_MS);
  const effects = (runId: string) => sideEffectCounts(pool, runId);

  async function steps(runId: string): Promise<string[]> {
    const { rows } = await pool.query("SELECT name, status FROM workflow_steps WHERE run_id = $1 ORDER BY sequence", [
      runId,
    ]);
    return rows.map((r) => `${r.name}:${r.status}`);
  }

  it("SIGKILL during a step, three instances: the run completes elsewhere long before its lease; the step ran twice, its checkpoint once", async () => {
    const doomed = worker("A", { HOLD_AT: "s3-after-effect" });
    const others = [worker("B"), worker("C")];
    await started(doomed, ...others);
    doomed.send("start kill-1 0");
    await doomed.waitFor(/^READY s3-after-effect/);
    await doomed.kill();

    const run = await ended("kill-1");
    expect(run.status).toBe("completed");
    expect(["B", "C"]).toContain(run.output.finishedBy);
    expect(run.epoch).toBe(3n); // A's claim (1), one reclaim (2), one claim (3): nobody else took it in between
    expect(await effects("kill-1")).toEqual({ s1: 1, s2: 1, s3: 2, s4: 1 });
    expect(await steps("kill-1")).toEqual(["s1:completed", "s2:completed", "s3:completed", "s4:completed"]);
    // The dead owner left the watched set; the live ones are still in it.
    const { rows } = await pool.query("SELECT owner FROM workflow_owners ORDER BY owner");
    expect(rows.map((r) => r.owner)).toEqual(["B", "C"]);
  });

  it("a restarted instance with the same owner id resumes its previous incarnation's runs at once", async () => {
    const first = worker("R", { HOLD_AT: "s3-after-effect" });
    await started(first);
    first.send("start restart-1 0");
    await first.waitFor(/^READY s3-after-effect/);
    await first.kill();
    const again = worker("R"); // alone: nobody else could reclaim it
    await started(again);

    const run = await ended("restart-1");
    expect(run).toMatchObject({ status: "completed", output: { finishedBy: "R" }, epoch: 3n }); // claim, reclaim, claim
    expect(await effects("restart-1")).toEqual({ s1: 1, s2: 1, s3: 2, s4: 1 });
  });

  it("refuses to start a second live instance with an owner id in use", async () => {
    const first = worker("D");
    await started(first);
    const twin = worker("D");
    await expect(twin.waitFor(/^ERROR .*OwnerIdInUseError/)).resolves.toMatch(/in use by another live instance/);
  });

  // A real Postgres restart (pg_ctlcluster … restart) would break every other test on this
  // shared server. What an engine sees of one is every session of it terminated at once, so
  // that is what this test does: pg_terminate_backend on all of the workers' backends, while
  // each is inside a step. Each owner retakes its lock; nobody's runs are taken over.
  it("all sessions dropped at once (a Postgres restart, simulated): no takeover storm", async () => {
    const ids = ["P", "Q", "S"];
    const ws = ids.map((id) => worker(id, { STALL_S3_MS: "3000" }));
    await started(...ws);
    ws.forEach((w, i) => w.send(`start stall-pg-${i} 0`));
    await Promise.all(ws.map((w) => w.waitFor(/^READY s3-stalling/)));

    const { rows: killed } = await pool.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = ANY($1::text[])",
      [ids],
    );
    expect(killed.length).toBeGreaterThanOrEqual(ids.length * 2); // at least each one's owner session and LISTEN connection
    await Promise.all(ws.map((w) => w.waitFor(/^LOG workflow owner session lost/)));

    for (const [i, id] of ids.entries()) {
      const run = await ended(`stall-pg-${i}`);
      expect(run).toMatchObject({ status: "completed", output: { finishedBy: id }, epoch: 1n });
      expect(await effects(`stall-pg-${i}`)).toEqual({ s1: 1, s2: 1, s3: 1, s4: 1 });
    }
    for (const w of ws) expect(w.lines.filter((l) => /checkpoint rejected|lease lost/.test(l))).toEqual([]);
  });

  it("SIGSTOP of an owner: no takeover before its lease lapses (its lock stays held); after SIGCONT it is fenced", async () => {
    const frozen = worker("F", { LEASE_MS: "1500", STALL_S3_MS: "150" });
    const successor = worker("G", { LEASE_MS: "1500" });
    await started(frozen, successor);
    frozen.send("start stall-stop-1 0");
    await frozen.waitFor(/^READY s3-stalling/);
    frozen.child.kill("SIGSTOP");

    // The last lease the frozen owner holds, as the database saw it until the run was taken.
    let lastLease = 0;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const { rows } = await pool.query(
        "SELECT status, epoch, lease_expires_at FROM workflow_runs WHERE id = 'stall-stop-1'",
      );
      const row = rows[0];
      if (row.epoch !== 1n) break;
      if (row.lease_expires_at) lastLease = Math.max(lastLease, row.lease_expires_at.getTime());
      if (Date.now() > deadline) throw new Error("the frozen owner's run was never taken over");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const run = await ended("stall-stop-1");
    expect(run).toMatchObject({ status: "completed", output: { finishedBy: "G" } });
    const resumed = eventsOf(successor).find(
      (e) => e.runId === "stall-stop-1" && e.step === "s3" && e.type === "started",
    )!;
    expect(resumed.at).toBeGreaterThanOrEqual(lastLease);

    frozen.child.kill("SIGCONT");
    await frozen.waitFor(/^LOG workflow (checkpoint rejected|lease lost)/);
    expect(await ended("stall-stop-1")).toEqual(run);
    expect(await effects("stall-stop-1")).toEqual({ s1: 1, s2: 1, s3: 2, s4: 1 });
  });
});
