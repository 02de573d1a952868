import type { Logger, StepContext, WorkflowContext } from "./define";
import { defineWorkflow } from "./define";
import { engineHarness, eventually, gate, type EngineHarness } from "./testing";

// One execution's lifecycle (run-phase.ts) seen through the engine's API: the phases a workflow
// sees through its context, and the paths that other specs do not take — workflow code that
// throws outside a step, a cancel of code that no longer matches its journal, compensations
// that run out of retries, leave their journal, lose their lease or are handed back.
describe("run execution lifecycle", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_execution")));
  afterAll(() => h.close());

  const untilAborted = (step: StepContext) =>
    new Promise((resolve) => step.signal.addEventListener("abort", resolve, { once: true }));
  const seen = (ctx: WorkflowContext) => `${ctx.cancelled}/${ctx.cancelKind}/${ctx.compensating}`;

  it("shows the workflow its phase: cancel requested, then compensating with the cancel's kind", async () => {
    const log: string[] = [];
    const entered = gate();
    const watched = defineWorkflow("watched", async (ctx) => {
      await ctx.step("first", () => log.push(`first ${seen(ctx)}`));
      ctx.compensate("undo-first", () => log.push(`undo-first ${seen(ctx)}`));
      await ctx.step("wait", async (step) => {
        entered.open();
        await untilAborted(step);
        log.push(`wait aborted ${seen(ctx)}`);
        throw new Error("aborted");
      });
    });
    const engine = h.engine().register(watched);
    await engine.start();
    await engine.startRun({ kind: "watched", id: "phase-1", key: "k", input: null });
    await entered.promise;
    await engine.cancel("phase-1", "superseded by run 2", { kind: "superseded" });
    await expect(engine.result("phase-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "superseded by run 2",
      kind: "superseded",
    });
    expect(log).toEqual([
      "first false/null/null",
      // The cancel is known before its kind is read back from the run: the step sees the default.
      "wait aborted true/cancelled/null",
      "undo-first true/superseded/cancelled",
    ]);
  });

  it("parks workflow code that throws outside a step; a cancel then compensates and ends it", async () => {
    const log: string[] = [];
    const buggy = defineWorkflow("buggy", async (ctx) => {
      await ctx.step("reserve", () => log.push("reserve"));
      ctx.compensate("release", () => log.push(`release (${ctx.compensating})`));
      throw new Error("bug in the workflow code");
    });
    const engine = h.engine().register(buggy);
    await engine.start();
    await engine.startRun({ kind: "buggy", id: "throws-1", key: "k", input: null });
    await expect(engine.result("throws-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toEqual({
      id: "throws-1",
      status: "paused",
      error: "bug in the workflow code",
      code: null,
      kind: "failed",
    });
    expect(log).toEqual(["reserve"]); // no compensation for a bug: it waits for a fix and a resume

    // Cancelled while paused: replayed, the code throws again, and now that is the cancel.
    expect(await engine.cancel("throws-1", "given up")).toBe("pending");
    await expect(engine.result("throws-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "given up",
      kind: "cancelled",
    });
    expect(log).toEqual(["reserve", "release (cancelled)"]);
  });

  it("ends a cancelled run whose code no longer matches its journal, without its compensations", async () => {
    const v1 = defineWorkflow("drifting", async (ctx) => {
      await ctx.step("one", () => 1);
      throw new Error("parked here");
    });
    const a = h.engine().register(v1);
    await a.start();
    await a.startRun({ kind: "drifting", id: "drift-1", key: "k", input: null });
    await expect(a.result("drift-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
    });
    await a.stop({ graceMs: 0 });

    const compensated: string[] = [];
    const v2 = defineWorkflow("drifting", async (ctx) => {
      ctx.compensate("undo", () => compensated.push("undo"));
      await ctx.step("uno", () => 1);
    });
    expect(await a.cancel("drift-1", "not needed")).toBe("pending");
    const b = h.engine().register(v2);
    await b.start();
    await expect(b.result("drift-1", { timeoutMs: 10_000 })).resolves.toEqual({
      id: "drift-1",
      status: "cancelled",
      error: 'cancelled; compensations skipped: NondeterminismError: step 0 is "uno" now but was "one" when recorded',
      code: null,
      kind: "cancelled",
    });
    expect(compensated).toEqual([]);
  });

  /** Reserve, register a compensation, then wait in a step until cancelled. */
  function cancellable(kind: string, compensation: string, undo: (step: StepContext) => unknown, entered: () => void) {
    return defineWorkflow(kind, async (ctx) => {
      await ctx.step("reserve", () => "reserved");
      ctx.compensate(compensation, undo, { retry: { maxAttempts: 2, initialMs: 1, jitter: 0 } });
      await ctx.step("wait", async (step) => {
        entered();
        await untilAborted(step);
        throw new Error("aborted");
      });
    });
  }

  it("pauses a run whose compensation runs out of retries; a resume runs it again and ends the run", async () => {
    let down = true;
    let attempts = 0;
    const entered = gate();
    const workflow = cancellable(
      "stuck-undo",
      "release",
      () => {
        attempts++;
        if (down) throw new Error("still down");
      },
      () => entered.open(),
    );
    const engine = h.engine().register(workflow);
    await engine.start();
    await engine.startRun({ kind: "stuck-undo", id: "stuck-1", key: "k", input: null });
    await entered.promise;
    await engine.cancel("stuck-1", "user asked");
    await expect(engine.result("stuck-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
      error: "step $compensate:release failed after 2 attempt(s): still down",
      kind: "exhausted",
    });
    expect(attempts).toBe(2);

    down = false;
    expect(await engine.resume("stuck-1")).toBe(true);
    await expect(engine.result("stuck-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "user asked",
      kind: "cancelled",
    });
    expect(attempts).toBe(3);
    expect((await engine.get("stuck-1"))?.steps.map((s) => [s.name, s.status])).toEqual([
      ["reserve", "completed"],
      ["$cancelled", "completed"],
      ["$compensate:release", "completed"],
    ]);
  });

  it("parks a run whose compensation no longer matches its journal", async () => {
    const entered = gate();
    const failing = () => {
      throw new Error("still down");
    };
    const a = h.engine().register(cancellable("renamed-undo", "release", failing, () => entered.open()));
    await a.start();
    await a.startRun({ kind: "renamed-undo", id: "renamed-1", key: "k", input: null });
    await entered.promise;
    await a.cancel("renamed-1", "user asked");
    await expect(a.result("renamed-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
      kind: "exhausted",
    });
    await a.stop({ graceMs: 0 });

    let renamedRan = false;
    const renamed = cancellable(
      "renamed-undo",
      "release-v2",
      () => (renamedRan = true),
      () => {},
    );
    const b = h.engine().register(renamed);
    await b.start();
    expect(await b.resume("renamed-1")).toBe(true);
    await expect(b.result("renamed-1", { timeoutMs: 10_000, settleOnPause: true })).resolves.toMatchObject({
      status: "paused",
      error:
        'execution stopped without an outcome: NondeterminismError: step 2 is "$compensate:release-v2" now but was "$compensate:release" when recorded',
      kind: "nondeterministic",
    });
    expect(renamedRan).toBe(false);
  });

  it("stops a stale owner at its compensation's checkpoint; the new owner's outcome stands", async () => {
    const stalled = gate();
    const staleEntered = gate();
    const entered = gate();
    const effects: string[] = [];
    const workflow = (worker: string) =>
      cancellable(
        "stale-undo",
        "release",
        async () => {
          effects.push(`${worker}:release`);
          if (worker === "stale") {
            staleEntered.open();
            await stalled.promise;
          }
        },
        () => entered.open(),
      );
    const staleLog: string[] = [];
    const record = (_: object, msg: string) => staleLog.push(msg);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    // No heartbeat within the lease: this worker's lease lapses while its compensation is held.
    const stale = h
      .engine({
        workerId: "stale-undo",
        logger,
        concurrency: 1,
        leaseMs: 400,
        heartbeatMs: 3_600_000,
        sweepMs: 3_600_000,
      })
      .register(workflow("stale"));
    await stale.start();
    await stale.startRun({ kind: "stale-undo", id: "stale-1", key: "k", input: null });
    await entered.promise;
    await stale.cancel("stale-1", "user asked");
    await staleEntered.promise;

    const fresh = h.engine({ workerId: "fresh-undo", leaseMs: 400, sweepMs: 100 }).register(workflow("fresh"));
    await fresh.start();
    await expect(fresh.result("stale-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "user asked",
    });
    stalled.open(); // the stale worker's compensation returns and tries to checkpoint
    await eventually("the stale worker's checkpoint to be rejected", () =>
      staleLog.includes("workflow checkpoint rejected: the run has a newer owner epoch; stopping") ? true : undefined,
    );
    expect(effects).toEqual(["stale:release", "fresh:release"]);
    const completions = h.events.filter((e) => e.runId === "stale-1" && e.compensation && e.type === "completed");
    expect(completions).toHaveLength(1);
    expect(await fresh.get("stale-1")).toMatchObject({ status: "cancelled", error: "user asked" });
  });

  it("hands back a run whose compensation is running on stop; another instance finishes it", async () => {
    const entered = gate();
    const compensationEntered = gate();
    const effects: string[] = [];
    const workflow = (worker: string) =>
      cancellable(
        "handed-undo",
        "release",
        async (step) => {
          effects.push(`${worker}:release`);
          if (worker === "a") {
            compensationEntered.open();
            await untilAborted(step); // the hand-back aborts a compensation too
            effects.push(`${worker}:aborted`);
            throw new Error("handed back");
          }
        },
        () => entered.open(),
      );
    const a = h.engine().register(workflow("a"));
    await a.start();
    await a.startRun({ kind: "handed-undo", id: "handed-1", key: "k", input: null });
    await entered.promise;
    await a.cancel("handed-1", "user asked");
    await compensationEntered.promise;
    await a.stop({ graceMs: 0 });
    expect(effects).toEqual(["a:release", "a:aborted"]);
    expect(await a.get("handed-1")).toMatchObject({ status: "pending", owner: null });

    const b = h.engine().register(workflow("b"));
    await b.start();
    await expect(b.result("handed-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "user asked",
    });
    expect(effects).toEqual(["a:release", "a:aborted", "b:release"]);
  });
});
