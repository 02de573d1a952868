import { defineWorkflow } from "./define";
import { WorkflowInputConflictError, WorkflowNotFoundError, WorkflowTimeoutError } from "./errors";
import { engineHarness, gate, type EngineHarness } from "./testing";

// The engine's basic contract: startRun is idempotent by id, result() waits for the outcome,
// get() shows the journal, and replay returns recorded outputs without running steps again.
describe("workflow engine", () => {
  let h: EngineHarness;
  beforeAll(async () => (h = await engineHarness("wf_engine")));
  afterAll(() => h.close());

  const ran: string[] = [];
  const greet = defineWorkflow("greet", async (ctx, input: { name: string }) => {
    const upper = await ctx.step("upper", () => {
      ran.push("upper");
      return input.name.toUpperCase();
    });
    const nothing = await ctx.step("nothing", () => {
      ran.push("nothing");
    });
    return { greeting: `hello ${upper}`, nothingWasUndefined: nothing === undefined };
  });

  it("runs a workflow started on this instance and returns its output", async () => {
    const engine = h.engine().register(greet);
    await engine.start();
    const started = await engine.startRun({ kind: "greet", id: "run-1", key: "prj_1", input: { name: "ada" } });
    expect(started).toEqual({ id: "run-1", created: true, status: "running" });
    const outcome = await engine.result("run-1", { timeoutMs: 10_000 });
    expect(outcome).toEqual({
      id: "run-1",
      status: "completed",
      output: { greeting: "hello ADA", nothingWasUndefined: true },
    });

    const view = await engine.get("run-1");
    expect(view?.steps.map((s) => [s.sequence, s.name, s.status, s.attempts])).toEqual([
      [0, "upper", "completed", 1],
      [1, "nothing", "completed", 1],
    ]);
    expect(view?.steps[0]?.output).toBe("ADA");
    expect(view?.steps[1]?.output).toBeUndefined();
  });

  it("gives the same run for the same id and input, and refuses another input", async () => {
    const engine = h.engine().register(greet);
    await engine.start();
    const again = await engine.startRun({ kind: "greet", id: "run-1", key: "prj_1", input: { name: "ada" } });
    expect(again).toEqual({ id: "run-1", created: false, status: "completed" });
    await expect(
      engine.startRun({ kind: "greet", id: "run-1", key: "prj_1", input: { name: "bob" } }),
    ).rejects.toBeInstanceOf(WorkflowInputConflictError);
    await expect(
      engine.startRun({ kind: "other", id: "run-1", key: "prj_1", input: { name: "ada" } }),
    ).rejects.toBeInstanceOf(WorkflowInputConflictError);
  });

  it("starts at most one exclusive run per kind and key, however many callers race; a cancelled one makes room", async () => {
    const client = h.engine(); // registers nothing: the runs stay pending
    const racers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        client.startRun({ kind: "timer", id: `timer-${i}`, key: "dep_1", input: {}, exclusive: true }),
      ),
    );
    const created = racers.filter((r) => r.created);
    expect(created).toHaveLength(1);
    expect(new Set(racers.map((r) => r.id))).toEqual(new Set([created[0]?.id]));
    expect((await client.list({ kind: "timer" })).map((r) => r.id)).toEqual([created[0]?.id]);
    // Another key, and a non-exclusive start, are not held back.
    expect(
      await client.startRun({ kind: "timer", id: "timer-other", key: "dep_2", input: {}, exclusive: true }),
    ).toMatchObject({ created: true });
    expect(await client.startRun({ kind: "timer", id: "timer-plain", key: "dep_1", input: {} })).toMatchObject({
      created: true,
    });
    // Once cancelled (plain one too), the next exclusive start creates a run again.
    await client.cancel(created[0]?.id ?? "", "live again");
    await client.cancel("timer-plain", "live again");
    expect(
      await client.startRun({ kind: "timer", id: "timer-next", key: "dep_1", input: {}, exclusive: true }),
    ).toEqual({
      id: "timer-next",
      created: true,
      status: "pending",
    });
  });

  it("wakes another instance by notification when the starter does not run the kind", async () => {
    const client = h.engine(); // registers nothing: a client only
    const worker = h.engine().register(greet);
    await worker.start();
    const started = await client.startRun({ kind: "greet", id: "run-remote", key: "prj_1", input: { name: "eve" } });
    expect(started.status).toBe("pending");
    await expect(client.result("run-remote", { timeoutMs: 10_000 })).resolves.toMatchObject({ status: "completed" });
  });

  it("replays completed steps from the journal after a hand-back", async () => {
    const held = gate();
    const entered = gate();
    let secondRuns = 0;
    const twoStep = defineWorkflow("two-step", async (ctx) => {
      const first = await ctx.step("first", () => {
        ran.push("first");
        return 41;
      });
      const second = await ctx.step("second", async () => {
        secondRuns++;
        if (secondRuns === 1) {
          entered.open();
          await held.promise;
        }
        return first + 1;
      });
      return second;
    });
    const a = h.engine().register(twoStep);
    await a.start();
    await a.startRun({ kind: "two-step", id: "run-replay", key: "prj_1", input: {} });
    await entered.promise;
    await a.stop({ graceMs: 0 }); // hands the run back mid-step
    held.open();

    const b = h.engine().register(twoStep);
    await b.start();
    await expect(b.result("run-replay", { timeoutMs: 10_000 })).resolves.toEqual({
      id: "run-replay",
      status: "completed",
      output: 42,
    });
    expect(ran.filter((r) => r === "first")).toHaveLength(1);
    expect(secondRuns).toBe(2);
    const view = await b.get("run-replay");
    expect(view?.epoch).toBe(2n);
  });

  it("times out result() at its deadline and reports unknown runs", async () => {
    const client = h.engine();
    await client.startRun({ kind: "nobody-runs-this", id: "run-orphan", key: "prj_1", input: {} });
    await expect(client.result("run-orphan", { timeoutMs: 200 })).rejects.toBeInstanceOf(WorkflowTimeoutError);
    await expect(client.result("no-such-run", { timeoutMs: 1_000 })).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await client.get("no-such-run")).toBeNull();
  });

  it("lets in-flight runs finish on a graceful stop", async () => {
    const entered = gate();
    const finishing = defineWorkflow("finishing", async (ctx) =>
      ctx.step("short", async () => {
        entered.open();
        await new Promise((resolve) => setTimeout(resolve, 100));
        return "finished here";
      }),
    );
    const engine = h.engine().register(finishing);
    await engine.start();
    await engine.startRun({ kind: "finishing", id: "run-graceful", key: "prj_1", input: {} });
    await entered.promise;
    await engine.stop({ graceMs: 10_000 });
    expect(await engine.get("run-graceful")).toMatchObject({
      status: "completed",
      output: "finished here",
      epoch: 1n,
      owner: null,
    });
  });

  it("re-reads waited runs after its LISTEN connection is cut, so no outcome is missed", async () => {
    const release = gate();
    const waiting = defineWorkflow("waiting", async (ctx) =>
      ctx.step("wait", async () => {
        await release.promise;
        return "done";
      }),
    );
    const worker = h.engine().register(waiting);
    await worker.start();
    const client = h.engine();
    await client.startRun({ kind: "waiting", id: "run-reconnect", key: "prj_1", input: {} });
    const outcome = client.result("run-reconnect", { timeoutMs: 15_000 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // let result() LISTEN and look once
    const cut = await h.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN hydra_workflow'",
    );
    expect(cut.rowCount).toBeGreaterThanOrEqual(2);
    release.open(); // the run ends while the listeners are reconnecting: the notification is lost
    await expect(outcome).resolves.toEqual({ id: "run-reconnect", status: "completed", output: "done" });
  });
});
