import { NondeterminismError, TerminalError } from "./errors";
import { STARTED, transition, type CompensationCause, type Ending, type RunEvent, type RunPhase } from "./run-phase";

// The run lifecycle as a table: each row is (phase, event) → the next phase, or null where the
// event is refused (ignored) in that phase.
const declined = new TerminalError("card declined");
const renamed = new NondeterminismError('step 0 is "b" now but was "a" when recorded');
const bug = new Error("undefined is not a function");

const running: RunPhase = STARTED;
const cancelling: RunPhase = { kind: "running", cancelRequested: true };
const compensating = (cause: CompensationCause, cancelRequested = false): RunPhase => ({
  kind: "compensating",
  cause,
  cancelRequested,
});
const ending = (outcome: Ending, cancelRequested = false): RunPhase => ({
  kind: "ending",
  ending: outcome,
  cancelRequested,
});
const completing = ending({ kind: "completed", output: 42 });
const settled: RunPhase = { kind: "settled", status: "completed", cancelRequested: false };
const gone: RunPhase = { kind: "gone", why: "lost", cancelRequested: false };

const EVENTS: Record<RunEvent["kind"], RunEvent> = {
  cancelNoted: { kind: "cancelNoted" },
  interrupted: { kind: "interrupted", by: "cancel" },
  suspended: { kind: "suspended", status: "sleeping" },
  nondeterminism: { kind: "nondeterminism", error: renamed },
  returned: { kind: "returned", output: 42 },
  threw: { kind: "threw", error: bug },
  compensated: { kind: "compensated", errors: [] },
  stalled: { kind: "stalled" },
  written: { kind: "written" },
  leaseLost: { kind: "leaseLost" },
  handedBack: { kind: "handedBack" },
};

describe("run lifecycle transitions", () => {
  it.each<[string, RunPhase, RunEvent, RunPhase | null]>([
    // running: the body goes forward
    ["a cancel is noted", running, EVENTS.cancelNoted, cancelling],
    ["a second cancel is refused", cancelling, EVENTS.cancelNoted, null],
    [
      "a cancel marker stops the body for compensations",
      cancelling,
      { kind: "interrupted", by: "cancel" },
      compensating({ why: "cancelled" }, true),
    ],
    [
      "a deadline marker stops the body for compensations",
      running,
      { kind: "interrupted", by: "deadline" },
      compensating({ why: "deadline" }),
    ],
    [
      "a durable sleep settles the run",
      running,
      { kind: "suspended", status: "sleeping" },
      { kind: "settled", status: "sleeping", cancelRequested: false },
    ],
    [
      "a step out of retries settles the run paused",
      running,
      { kind: "suspended", status: "paused" },
      { kind: "settled", status: "paused", cancelRequested: false },
    ],
    [
      "nondeterminism parks the run",
      running,
      EVENTS.nondeterminism,
      ending({ kind: "parked", error: `NondeterminismError: ${renamed.message}`, failure: "nondeterministic" }),
    ],
    [
      "nondeterminism of a cancelled run ends it cancelled, without compensations",
      cancelling,
      EVENTS.nondeterminism,
      ending({ kind: "cancelledUnreplayable", error: renamed }, true),
    ],
    ["the body returns", running, EVENTS.returned, completing],
    [
      "a TerminalError runs the compensations",
      running,
      { kind: "threw", error: declined },
      compensating({ why: "failed", error: declined }),
    ],
    [
      "a TerminalError of a cancelled run is still a failure",
      cancelling,
      { kind: "threw", error: declined },
      compensating({ why: "failed", error: declined }, true),
    ],
    [
      "any other throw of a cancelled run is the cancel",
      cancelling,
      EVENTS.threw,
      compensating({ why: "cancelled" }, true),
    ],
    [
      "workflow code that throws is parked",
      running,
      EVENTS.threw,
      ending({ kind: "parked", error: "undefined is not a function", failure: "failed" }),
    ],
    ["the lease is lost", running, EVENTS.leaseLost, gone],
    ["the run is handed back", cancelling, EVENTS.handedBack, { kind: "gone", why: "released", cancelRequested: true }],
    ["compensations are not running", running, EVENTS.compensated, null],
    ["nothing stalls while the body runs", running, EVENTS.stalled, null],
    ["no outcome is being written", running, EVENTS.written, null],

    // compensating
    [
      "the compensations ran: the failure is written with their errors",
      compensating({ why: "failed", error: declined }),
      { kind: "compensated", errors: ["compensation a: boom"] },
      ending({ kind: "compensated", cause: { why: "failed", error: declined }, errors: ["compensation a: boom"] }),
    ],
    [
      "a cancel noted while compensating is kept",
      compensating({ why: "deadline" }),
      EVENTS.cancelNoted,
      compensating({ why: "deadline" }, true),
    ],
    [
      "a compensation out of retries settles the run paused",
      compensating({ why: "cancelled" }, true),
      { kind: "suspended", status: "paused" },
      { kind: "settled", status: "paused", cancelRequested: true },
    ],
    ["compensations do not sleep", compensating({ why: "cancelled" }), EVENTS.suspended, null],
    [
      "a compensation off its journal parks the run",
      compensating({ why: "cancelled" }),
      EVENTS.nondeterminism,
      ending({
        kind: "parked",
        error: `execution stopped without an outcome: NondeterminismError: ${renamed.message}`,
        failure: "nondeterministic",
      }),
    ],
    [
      "compensations that stopped for no known reason park the run",
      compensating({ why: "deadline" }),
      EVENTS.stalled,
      ending({ kind: "parked", error: "execution stopped without an outcome: unknown cause", failure: "failed" }),
    ],
    ["no second interruption", compensating({ why: "deadline" }), EVENTS.interrupted, null],
    ["the body already stopped (returned)", compensating({ why: "deadline" }), EVENTS.returned, null],
    ["the body already stopped (threw)", compensating({ why: "deadline" }), EVENTS.threw, null],
    ["no outcome is being written yet", compensating({ why: "deadline" }), EVENTS.written, null],
    [
      "the lease is lost while compensating",
      compensating({ why: "cancelled" }, true),
      EVENTS.leaseLost,
      { kind: "gone", why: "lost", cancelRequested: true },
    ],

    // ending
    ["the outcome is written", completing, EVENTS.written, settled],
    [
      "a compensated cancel settles cancelled",
      ending({ kind: "compensated", cause: { why: "cancelled" }, errors: [] }, true),
      EVENTS.written,
      { kind: "settled", status: "cancelled", cancelRequested: true },
    ],
    [
      "a compensated deadline settles failed",
      ending({ kind: "compensated", cause: { why: "deadline" }, errors: [] }),
      EVENTS.written,
      { kind: "settled", status: "failed", cancelRequested: false },
    ],
    [
      "an unreplayable cancel settles cancelled",
      ending({ kind: "cancelledUnreplayable", error: renamed }, true),
      EVENTS.written,
      { kind: "settled", status: "cancelled", cancelRequested: true },
    ],
    [
      "a parked run settles paused",
      ending({ kind: "parked", error: "x", failure: "failed" }),
      EVENTS.written,
      { kind: "settled", status: "paused", cancelRequested: false },
    ],
    ["the outcome write is fenced out", completing, EVENTS.leaseLost, gone],
    [
      "the run is handed back during its outcome write",
      completing,
      EVENTS.handedBack,
      { kind: "gone", why: "released", cancelRequested: false },
    ],
    [
      "a cancel noted while ending is kept",
      completing,
      EVENTS.cancelNoted,
      ending({ kind: "completed", output: 42 }, true),
    ],
    ["the compensations already ran", completing, EVENTS.compensated, null],
    ["an ending run is not interrupted", completing, EVENTS.interrupted, null],
    ["an ending run does not suspend", completing, EVENTS.suspended, null],
  ])("%s", (_, phase, event, next) => {
    expect(transition(phase, event)).toEqual(next);
  });

  const afterTheEnd = Object.values(EVENTS).filter((e) => e.kind !== "cancelNoted");
  it.each(
    afterTheEnd.flatMap((event) => [
      ["settled", event.kind, settled, event] as const,
      ["gone", event.kind, gone, event] as const,
    ]),
  )("refuses every move out of %s: %s", (_phase, _event, phase, event) => {
    expect(transition(phase, event)).toBeNull();
  });

  it("notes a cancel after the end too (ctx.cancelled stays truthful) but nothing else", () => {
    expect(transition(settled, EVENTS.cancelNoted)).toEqual({ ...settled, cancelRequested: true });
    expect(transition(gone, EVENTS.cancelNoted)).toEqual({ ...gone, cancelRequested: true });
  });

  it("never mutates the phase it is given", () => {
    const phase = { ...running };
    for (const event of Object.values(EVENTS)) transition(phase, event);
    expect(phase).toEqual(STARTED);
  });
});
