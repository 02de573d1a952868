import { defineWorkflow } from "./define";
import { TerminalError } from "./errors";
import { engineHarness, gate, type EngineHarness } from "./testing";

// Errors as data: a run's failure carries its code and kind in columns of their own, so a
// caller decides by fields, never by parsing the message.
describe("failures as data", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_failure_data")));
  afterAll(() => h.close());

  it("records a coded TerminalError's code and kind, with the bare message, and replays them", async () => {
    const refusing = defineWorkflow("refusing", async (ctx) => {
      await ctx.step("check", () => {
        throw new TerminalError("source dep_a is not live", { code: "failed_precondition" });
      });
    });
    const engine = h.engine().register(refusing);
    await engine.start();
    await engine.startRun({ kind: "refusing", id: "refused-1", key: "k", input: null });
    await expect(engine.result("refused-1", { timeoutMs: 10_000 })).resolves.toEqual({
      id: "refused-1",
      status: "failed",
      error: "source dep_a is not live",
      code: "failed_precondition",
      kind: "refused",
    });
    const view = await engine.get("refused-1");
    expect(view).toMatchObject({ errorCode: "failed_precondition", errorKind: "refused" });
    expect(view?.steps[0]).toMatchObject({
      status: "failed",
      error: "source dep_a is not live",
      errorCode: "failed_precondition",
    });
  });

  it("takes the code of an error the step's isTerminal deems final", async () => {
    const foreign = defineWorkflow("foreign", async (ctx) => {
      await ctx.step(
        "assign",
        () => {
          throw Object.assign(new Error("domain x.example is owned by ws_b"), { code: "permission_denied" });
        },
        { isTerminal: () => true },
      );
    });
    const engine = h.engine().register(foreign);
    await engine.start();
    await engine.startRun({ kind: "foreign", id: "foreign-1", key: "k", input: null });
    await expect(engine.result("foreign-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "failed",
      code: "permission_denied",
      kind: "refused",
    });
  });

  it("parks a run whose retries ran out with the last error's code, and resume clears it", async () => {
    let attempts = 0;
    const contended = defineWorkflow("contended", async (ctx) => {
      await ctx.step(
        "lock",
        () => {
          attempts++;
          if (attempts <= 2) throw Object.assign(new Error("lock held"), { name: "ConnectError", code: 10 });
          return "ok";
        },
        { retry: { maxAttempts: 2, initialMs: 1, jitter: 0 } },
      );
      return "done";
    });
    const engine = h.engine().register(contended);
    await engine.start();
    await engine.startRun({ kind: "contended", id: "contended-1", key: "k", input: null });
    await expect(engine.result("contended-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
      code: "aborted",
      kind: "exhausted",
    });
    expect(await engine.resume("contended-1")).toBe(true);
    await expect(engine.result("contended-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "completed",
      output: "done",
    });
    expect(await engine.get("contended-1")).toMatchObject({ errorCode: null, errorKind: null });
  });

  it("ends a run cancelled as superseded with that kind, which the workflow sees", async () => {
    const seen: (string | null)[] = [];
    const entered = gate();
    const superseded = defineWorkflow("superseded", async (ctx) => {
      ctx.compensate("record", () => seen.push(ctx.cancelKind));
      await ctx.step("wait", async (step) => {
        entered.open();
        await new Promise((resolve) => step.signal.addEventListener("abort", resolve));
        throw new Error("aborted");
      });
    });
    const engine = h.engine().register(superseded);
    await engine.start();
    await engine.startRun({ kind: "superseded", id: "superseded-1", key: "k", input: null });
    await entered.promise;
    await engine.cancel("superseded-1", "superseded by dep_b", { kind: "superseded" });
    await expect(engine.result("superseded-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "superseded by dep_b",
      code: null,
      kind: "superseded",
    });
    expect(seen).toEqual(["superseded"]);
    expect((await engine.get("superseded-1"))?.cancelKind).toBe("superseded");
  });

  it("gives a run cancelled before it started its cancel kind", async () => {
    const client = h.engine();
    await client.startRun({ kind: "nobody-runs-this", id: "superseded-2", key: "k", input: null });
    expect(await client.cancel("superseded-2", "superseded by dep_c", { kind: "superseded" })).toBe("cancelled");
    await expect(client.result("superseded-2", { timeoutMs: 5_000 })).resolves.toMatchObject({
      status: "cancelled",
      kind: "superseded",
    });
  });
});
