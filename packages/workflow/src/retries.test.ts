import { defineWorkflow } from "./define";
import { TerminalError } from "./errors";
import { engineHarness, type EngineHarness } from "./testing";

// Step failures: transient errors retry with backoff, terminal ones fail at once, and a step
// that exhausts its budget parks the run as paused until an operator resumes it.
describe("step retries", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_retries")));
  afterAll(() => h.close());

  it("retries transient errors with growing delays, then succeeds", async () => {
    let calls = 0;
    const flaky = defineWorkflow("flaky", async (ctx) =>
      ctx.step(
        "call-api",
        () => {
          calls++;
          if (calls < 3) throw new Error(`503 number ${calls}`);
          return "ok";
        },
        { retry: { maxAttempts: 5, initialMs: 20, factor: 3, jitter: 0 } },
      ),
    );
    const engine = h.engine().register(flaky);
    await engine.start();
    await engine.startRun({ kind: "flaky", id: "flaky-1", key: "k", input: null });
    await expect(engine.result("flaky-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "completed",
      output: "ok",
    });
    const retrying = h.events.filter((e) => e.runId === "flaky-1" && e.type === "retrying");
    expect(retrying.map((e) => [e.attempt, e.retryInMs, e.error])).toEqual([
      [1, 20, "503 number 1"],
      [2, 60, "503 number 2"],
    ]);
    const [step] = (await engine.get("flaky-1"))!.steps;
    expect(step).toMatchObject({ name: "call-api", status: "completed", attempts: 3, error: null });
  });

  it("fails a step on TerminalError without retrying and runs no further step", async () => {
    let calls = 0;
    let after = 0;
    const doomed = defineWorkflow("doomed", async (ctx) => {
      await ctx.step("validate", () => {
        calls++;
        throw new TerminalError("image not found");
      });
      await ctx.step("never", () => after++);
    });
    const engine = h.engine().register(doomed);
    await engine.start();
    await engine.startRun({ kind: "doomed", id: "doomed-1", key: "k", input: null });
    await expect(engine.result("doomed-1", { timeoutMs: 10_000 })).resolves.toEqual({
      id: "doomed-1",
      status: "failed",
      error: "TerminalError: image not found",
      code: null,
      kind: "failed",
    });
    expect([calls, after]).toEqual([1, 0]);
    const view = await engine.get("doomed-1");
    expect(view?.steps).toHaveLength(1);
    expect(view?.steps[0]).toMatchObject({ status: "failed", attempts: 1, error: "TerminalError: image not found" });
    expect(h.events.filter((e) => e.runId === "doomed-1").map((e) => e.type)).toEqual(["started", "failed"]);
  });

  it("classifies errors as terminal with isTerminal", async () => {
    let calls = 0;
    const classified = defineWorkflow("classified", async (ctx) =>
      ctx.step(
        "create",
        () => {
          calls++;
          throw Object.assign(new Error("bad request"), { status: 400 });
        },
        { isTerminal: (e) => (e as { status?: number }).status === 400 },
      ),
    );
    const engine = h.engine().register(classified);
    await engine.start();
    await engine.startRun({ kind: "classified", id: "classified-1", key: "k", input: null });
    await expect(engine.result("classified-1", { timeoutMs: 10_000 })).resolves.toMatchObject({ status: "failed" });
    expect(calls).toBe(1);
  });

  it("pauses after the retry budget, and a resume runs the step again with a fresh budget", async () => {
    let healthy = false;
    let calls = 0;
    let sideEffects = 0;
    const fragile = defineWorkflow("fragile", async (ctx) => {
      await ctx.step("prepare", () => sideEffects++);
      return ctx.step(
        "wait-ready",
        () => {
          calls++;
          if (!healthy) throw new Error("not ready");
          return "ready";
        },
        { retry: { maxAttempts: 3, initialMs: 5, jitter: 0 } },
      );
    });
    const engine = h.engine().register(fragile);
    await engine.start();
    await engine.startRun({ kind: "fragile", id: "fragile-1", key: "k", input: null });
    const paused = await engine.result("fragile-1", { timeoutMs: 10_000, settleOnPause: true });
    expect(paused).toEqual({
      id: "fragile-1",
      status: "paused",
      error: "step wait-ready failed after 3 attempt(s): not ready",
      code: null,
      kind: "exhausted",
    });
    expect(calls).toBe(3);
    const view = await engine.get("fragile-1");
    expect(view).toMatchObject({ status: "paused", owner: null, leaseExpiresAt: null });
    expect((await engine.list({ status: ["paused"], kind: "fragile" })).map((r) => r.id)).toEqual(["fragile-1"]);
    expect(view?.steps[1]).toMatchObject({ name: "wait-ready", status: "running", attempts: 3, error: "not ready" });

    healthy = true;
    expect(await engine.resume("fragile-1")).toBe(true);
    expect(await engine.resume("fragile-1")).toBe(false); // no longer paused
    await expect(engine.result("fragile-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "completed",
      output: "ready",
    });
    expect(calls).toBe(4);
    expect(sideEffects).toBe(1);
  });

  it("times out an attempt that takes too long and retries it", async () => {
    let calls = 0;
    const slow = defineWorkflow("slow", async (ctx) =>
      ctx.step(
        "hang-once",
        async (step) => {
          calls++;
          if (step.attempt === 1) await new Promise((resolve) => step.signal.addEventListener("abort", resolve));
          return step.attempt;
        },
        { timeoutMs: 50, retry: { initialMs: 1, jitter: 0 } },
      ),
    );
    const engine = h.engine().register(slow);
    await engine.start();
    await engine.startRun({ kind: "slow", id: "slow-1", key: "k", input: null });
    await expect(engine.result("slow-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "completed",
      output: 2,
    });
    expect(calls).toBe(2);
    expect(h.events.find((e) => e.runId === "slow-1" && e.type === "retrying")?.error).toMatch(/StepTimeoutError/);
  });

  it("fails a step whose output cannot be recorded as JSON, without retrying", async () => {
    let calls = 0;
    const unrecordable = defineWorkflow("unrecordable", async (ctx) =>
      ctx.step("count", () => {
        calls++;
        return { big: 1n } as unknown as string;
      }),
    );
    const engine = h.engine().register(unrecordable);
    await engine.start();
    await engine.startRun({ kind: "unrecordable", id: "json-1", key: "k", input: null });
    await expect(engine.result("json-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "failed",
      error: expect.stringMatching(/^TerminalError: step output is not JSON-serializable/),
    });
    expect(calls).toBe(1);
  });
});
