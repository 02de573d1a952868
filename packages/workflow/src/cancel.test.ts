import { defineWorkflow } from "./define";
import { TerminalError } from "./errors";
import { engineHarness, eventually, gate, type EngineHarness } from "./testing";

// Cancellation is observed at the next step boundary; the compensations the workflow
// registered then run as durable steps, last registered first. A terminal failure and a
// missed deadline run them too.
describe("cancellation and compensation", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_cancel")));
  afterAll(() => h.close());

  function provisioning(
    kind: string,
    log: string[],
    inStep2: { promise: Promise<void>; open(): void },
    entered: () => void,
  ) {
    return defineWorkflow(kind, async (ctx) => {
      const vm = await ctx.step("create-vm", () => {
        log.push("create-vm");
        return "vm-1";
      });
      ctx.compensate("delete-vm", () => log.push(`delete ${vm} (${ctx.compensating}: ${ctx.cancelReason})`));
      await ctx.step("create-dns", async (step) => {
        log.push("create-dns");
        entered();
        await Promise.race([inStep2.promise, new Promise((resolve) => step.signal.addEventListener("abort", resolve))]);
        if (step.signal.aborted) throw new Error("aborted");
      });
      ctx.compensate("delete-dns", () => log.push("delete dns"));
      await ctx.step("announce", () => log.push("announce"));
      return "done";
    });
  }

  it("cancels a running run at the next boundary and compensates in reverse order", async () => {
    const log: string[] = [];
    const release = gate();
    const entered = gate();
    const engine = h.engine().register(provisioning("provision", log, release, () => entered.open()));
    await engine.start();
    await engine.startRun({ kind: "provision", id: "cancel-1", key: "k", input: null });
    await entered.promise;
    expect(await engine.cancel("cancel-1", "user asked")).toBe("running");
    await expect(engine.result("cancel-1", { timeoutMs: 10_000 })).resolves.toEqual({
      id: "cancel-1",
      status: "cancelled",
      error: "user asked",
      code: null,
      kind: "cancelled",
    });
    // The step in flight was aborted through its signal; announce never ran; only delete-vm was registered.
    expect(log).toEqual(["create-vm", "create-dns", "delete vm-1 (cancelled: user asked)"]);
    const view = await engine.get("cancel-1");
    expect(view?.steps.map((s) => s.name)).toEqual(["create-vm", "$cancelled", "$compensate:delete-vm"]);
    expect(view?.cancelReason).toBe("user asked");
    expect(await engine.cancel("cancel-1", "again")).toBe("cancelled"); // idempotent
  });

  it("cancels a run that never started at once", async () => {
    const client = h.engine();
    await client.startRun({ kind: "unclaimed-kind", id: "cancel-2", key: "k", input: null });
    expect(await client.cancel("cancel-2", "not needed")).toBe("cancelled");
    await expect(client.result("cancel-2", { timeoutMs: 5_000 })).resolves.toMatchObject({ status: "cancelled" });
  });

  it("cancels a sleeping run without waiting for its timer", async () => {
    const log: string[] = [];
    const standby = defineWorkflow("standby", async (ctx) => {
      await ctx.step("switch", () => log.push("switch"));
      ctx.compensate("switch-back", () => log.push("switch-back"));
      await ctx.sleep("standby-delay", 60 * 60_000);
      await ctx.step("stop-old", () => log.push("stop-old"));
    });
    const engine = h.engine().register(standby);
    await engine.start();
    await engine.startRun({ kind: "standby", id: "cancel-3", key: "k", input: null });
    await eventually("the run to sleep", async () =>
      (await engine.get("cancel-3"))?.status === "sleeping" ? true : undefined,
    );
    expect(await engine.cancel("cancel-3", "superseded")).toBe("pending");
    await expect(engine.result("cancel-3", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "superseded",
    });
    expect(log).toEqual(["switch", "switch-back"]);
  });

  it("compensates after a terminal failure and fails the run", async () => {
    const log: string[] = [];
    const failing = defineWorkflow("failing", async (ctx) => {
      await ctx.step("reserve", () => log.push("reserve"));
      ctx.compensate("unreserve", () => log.push(`unreserve (${ctx.compensating})`));
      await ctx.step("charge", () => {
        throw new TerminalError("card declined");
      });
    });
    const engine = h.engine().register(failing);
    await engine.start();
    await engine.startRun({ kind: "failing", id: "fail-1", key: "k", input: null });
    await expect(engine.result("fail-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "failed",
      error: "TerminalError: card declined",
      code: null,
      kind: "failed",
    });
    expect(log).toEqual(["reserve", "unreserve (failed)"]);
    const compensation = h.events.find((e) => e.runId === "fail-1" && e.compensation && e.type === "completed");
    expect(compensation?.step).toBe("$compensate:unreserve");
  });

  it("fails a run past its deadline at the next boundary, with compensation", async () => {
    const log: string[] = [];
    const late = defineWorkflow("late", async (ctx) => {
      await ctx.step("begin", () => log.push("begin"));
      ctx.compensate("undo-begin", () => log.push(`undo-begin (${ctx.compensating})`));
      await ctx.step("wait", async (step) => {
        await new Promise((resolve) => step.signal.addEventListener("abort", resolve));
        throw new Error("aborted by the deadline");
      });
      await ctx.step("never", () => log.push("never"));
    });
    const engine = h.engine().register(late);
    await engine.start();
    await engine.startRun({ kind: "late", id: "late-1", key: "k", input: null, deadlineMs: 300 });
    await expect(engine.result("late-1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "failed",
      error: "deadline exceeded",
      code: "deadline_exceeded",
      kind: "deadline",
    });
    expect(log).toEqual(["begin", "undo-begin (deadline)"]);
    expect((await engine.get("late-1"))?.steps.map((s) => s.name)).toEqual([
      "begin",
      "$deadline",
      "$compensate:undo-begin",
    ]);
  });

  it("stops retrying when cancelled during a backoff wait", async () => {
    let attempts = 0;
    const retrying = defineWorkflow("retrying", async (ctx) => {
      await ctx.step(
        "flaky",
        () => {
          attempts++;
          throw new Error("still down");
        },
        { retry: { maxAttempts: 10, initialMs: 60_000, jitter: 0 } },
      );
    });
    const engine = h.engine().register(retrying);
    await engine.start();
    await engine.startRun({ kind: "retrying", id: "cancel-4", key: "k", input: null });
    await eventually("a retry to be scheduled", () =>
      h.events.some((e) => e.runId === "cancel-4" && e.type === "retrying") ? true : undefined,
    );
    await engine.cancel("cancel-4", "give up");
    await expect(engine.result("cancel-4", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "cancelled",
      error: "give up",
    });
    expect(attempts).toBe(1);
  });
});
