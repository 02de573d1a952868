import { defineWorkflow } from "./define";
import { engineHarness, eventually, type EngineHarness } from "./testing";

// A durable sleep hands the run back (no owner, no lease) and a sweeper wakes it when due;
// the execution after the wake replays the journal, so recorded time and ids are the same.
describe("durable sleep and recorded values", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_sleep")));
  afterAll(() => h.close());

  it("sleeps without holding a worker, wakes on time, and replays now() and randomId()", async () => {
    const seen: { now: number; id: string; afterWake: number }[] = [];
    const napper = defineWorkflow("napper", async (ctx) => {
      const now = await ctx.now();
      const id = await ctx.randomId();
      await ctx.sleep("nap", 400);
      const afterWake = await ctx.step("after", () => Date.now());
      seen.push({ now: now.getTime(), id, afterWake });
      return { now: now.toISOString(), id };
    });
    const engine = h.engine().register(napper);
    await engine.start();
    await engine.startRun({ kind: "napper", id: "nap-1", key: "k", input: null });
    const sleeping = await eventually("the run to sleep", async () => {
      const view = await engine.get("nap-1");
      return view?.status === "sleeping" ? view : undefined;
    });
    expect(sleeping).toMatchObject({ owner: null, leaseExpiresAt: null });
    const wakeAt = sleeping.wakeAt!.getTime();

    const outcome = await engine.result<{ now: string; id: string }>("nap-1", { timeoutMs: 10_000 });
    expect(outcome.status).toBe("completed");
    expect(seen).toHaveLength(1); // the body ran to the end once: after the wake, replayed
    const [{ now, id, afterWake }] = seen as [(typeof seen)[0]];
    expect(outcome.status === "completed" && outcome.output).toEqual({ now: new Date(now).toISOString(), id });
    expect(afterWake).toBeGreaterThanOrEqual(wakeAt);
    const view = await engine.get("nap-1");
    expect(view?.steps.map((s) => [s.name, s.status])).toEqual([
      ["$now", "completed"],
      ["$randomId", "completed"],
      ["$sleep:nap", "completed"],
      ["after", "completed"],
    ]);
    expect(view?.epoch).toBe(2n); // claimed once at start, once at the wake
  });

  it("lets a zero sleep pass without handing the run back", async () => {
    const quick = defineWorkflow("quick", async (ctx) => {
      await ctx.sleep("none", 0);
      return "ok";
    });
    const engine = h.engine().register(quick);
    await engine.start();
    await engine.startRun({ kind: "quick", id: "quick-1", key: "k", input: null });
    await expect(engine.result("quick-1", { timeoutMs: 5_000 })).resolves.toMatchObject({
      status: "completed",
      output: "ok",
    });
    expect((await engine.get("quick-1"))?.epoch).toBe(1n);
  });
});
