import { defineWorkflow } from "./define";
import { engineHarness, gate, type EngineHarness } from "./testing";

// A replay whose step names no longer match the journal must stop loudly, not carry on with
// the wrong recorded outputs: the run is paused with a NondeterminismError for an operator.
describe("nondeterminism on replay", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_nondet")));
  afterAll(() => h.close());

  it("pauses the run when the step name at a sequence changed", async () => {
    const entered = gate();
    const v1 = defineWorkflow("deploy", async (ctx) => {
      await ctx.step("build", () => "image-1");
      await ctx.step("wait", async () => {
        entered.open();
        await new Promise(() => {}); // held until the engine hands the run back
      });
    });
    let v2Ran = false;
    const v2 = defineWorkflow("deploy", async (ctx) => {
      await ctx.step("build-image", () => {
        v2Ran = true;
        return "image-2";
      });
    });
    const a = h.engine().register(v1);
    await a.start();
    await a.startRun({ kind: "deploy", id: "nd-1", key: "k", input: null });
    await entered.promise;
    await a.stop({ graceMs: 0 });

    const b = h.engine().register(v2);
    await b.start();
    const outcome = await b.result("nd-1", { timeoutMs: 10_000, settleOnPause: true });
    expect(outcome.status).toBe("paused");
    expect(outcome.status !== "completed" && outcome.error).toBe(
      'NondeterminismError: step 0 is "build-image" now but was "build" when recorded',
    );
    expect(v2Ran).toBe(false);
  });

  it("pauses the run when the workflow returns before its recorded steps", async () => {
    const entered = gate();
    const v1 = defineWorkflow("shrinking", async (ctx) => {
      await ctx.step("one", () => 1);
      await ctx.step("two", () => 2);
      await ctx.step("three", async () => {
        entered.open();
        await new Promise(() => {});
      });
    });
    const v2 = defineWorkflow("shrinking", async (ctx) => ctx.step("one", () => 1));
    const a = h.engine().register(v1);
    await a.start();
    await a.startRun({ kind: "shrinking", id: "nd-2", key: "k", input: null });
    await entered.promise;
    await a.stop({ graceMs: 0 });
    const b = h.engine().register(v2);
    await b.start();
    await expect(b.result("nd-2", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
      error: expect.stringMatching(/NondeterminismError: workflow returned before recorded step\(s\) two/),
    });
  });
});
