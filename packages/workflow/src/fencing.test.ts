import type { Logger } from "./define";
import { defineWorkflow } from "./define";
import { engineHarness, eventually, gate, type EngineHarness } from "./testing";

// A worker that stalls past its lease (GC pause, frozen VM: simulated here by a worker
// without heartbeats) must not overwrite the work of the owner that reclaimed the run: its
// checkpoint is rejected by the epoch and it stops.
describe("epoch fencing", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_fencing")));
  afterAll(() => h.close());

  it("rejects the stale owner's checkpoint; the new owner's result stands", async () => {
    const stalled = gate();
    const staleEntered = gate();
    const effects: string[] = [];
    const workflow = (worker: string) =>
      defineWorkflow("fenced", async (ctx) => {
        await ctx.step("first", () => effects.push(`${worker}:first`));
        const who = await ctx.step("slow", async () => {
          effects.push(`${worker}:slow`);
          if (worker === "stale") {
            staleEntered.open();
            await stalled.promise;
          }
          return worker;
        });
        await ctx.step("last", () => effects.push(`${worker}:last`));
        return who;
      });

    const staleLog: string[] = [];
    const record = (_: object, msg: string) => staleLog.push(msg);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    // No heartbeat within the lease: this worker's lease lapses while its step is held.
    const stale = h
      .engine({ workerId: "stale", logger, concurrency: 1, leaseMs: 400, heartbeatMs: 3_600_000, sweepMs: 3_600_000 })
      .register(workflow("stale"));
    await stale.start();
    await stale.startRun({ kind: "fenced", id: "fence-1", key: "k", input: null });
    await staleEntered.promise;

    const fresh = h.engine({ workerId: "fresh", leaseMs: 400, sweepMs: 100 }).register(workflow("fresh"));
    await fresh.start();
    await expect(fresh.result("fence-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "completed",
      output: "fresh",
    });

    stalled.open(); // the stale worker wakes up and tries to checkpoint "slow"
    await eventually("the stale worker's checkpoint to be rejected", () =>
      staleLog.includes("workflow checkpoint rejected: the run has a newer owner epoch; stopping") ? true : undefined,
    );
    const view = await fresh.get("fence-1");
    expect(view).toMatchObject({ status: "completed", output: "fresh", epoch: 3n });
    expect(view?.steps.map((s) => s.name)).toEqual(["first", "slow", "last"]);
    expect(view?.steps[1]?.output).toBe("fresh");
    // The stale worker ran "slow" but never checkpointed it and never reached "last".
    expect(effects).toEqual(["stale:first", "stale:slow", "fresh:slow", "fresh:last"]);
    const staleCompleted = h.events.filter((e) => e.runId === "fence-1" && e.step === "slow" && e.type === "completed");
    expect(staleCompleted).toHaveLength(1);
  });
});
