import { NondeterminismError, TerminalError } from "./errors";
import { replayStep } from "./replay";
import type { StepRow } from "./sql/rows";

// Replay as a table: what the journal's row at a sequence means for the step about to run there.
const startedAt = new Date("2026-11-30T12:00:00Z");
function row(fields: Partial<StepRow>): StepRow {
  return {
    run_id: "run-1",
    sequence: 3,
    name: "build",
    status: "completed",
    attempts: 1,
    output: null,
    error: null,
    error_code: null,
    error_kind: null,
    started_at: startedAt,
    ended_at: startedAt,
    output_missing: false,
    ...fields,
  };
}

describe("replayStep", () => {
  it.each<[string, StepRow, unknown]>([
    ["a completed step returns its output", row({ output: { image: "x" } }), { kind: "ok", value: { image: "x" } }],
    ["JSON null stays null", row({ output: null }), { kind: "ok", value: null }],
    ["SQL NULL replays as undefined", row({ output: null, output_missing: true }), { kind: "ok", value: undefined }],
    [
      "an unfinished step runs on with the attempts it had",
      row({ status: "running", attempts: 2 }),
      { kind: "run", attempts: 2, startedAt, recorded: row({ status: "running", attempts: 2 }) },
    ],
    [
      "a cancel marker stops the body",
      row({ name: "$cancelled" }),
      { kind: "stop", event: { kind: "interrupted", by: "cancel" } },
    ],
    [
      "a deadline marker stops the body",
      row({ name: "$deadline" }),
      { kind: "stop", event: { kind: "interrupted", by: "deadline" } },
    ],
  ])("%s", (_, recorded, expected) => {
    expect(replayStep(recorded, 3, "build")).toEqual(expected);
  });

  it("runs a step the journal does not have from its first attempt", () => {
    expect(replayStep(undefined, 3, "build")).toMatchObject({ kind: "run", attempts: 0, recorded: null });
  });

  it("rethrows a terminal failure with its code and kind", () => {
    const replayed = replayStep(
      row({ status: "failed", error: "no quota", error_code: "resource_exhausted", error_kind: "refused" }),
      3,
      "build",
    );
    expect(replayed.kind === "terminal" && replayed.error).toBeInstanceOf(TerminalError);
    expect(replayed).toMatchObject({
      kind: "terminal",
      error: { message: "no quota", code: "resource_exhausted", kind: "refused" },
    });
  });

  it("stops with a NondeterminismError when another step is recorded at the sequence", () => {
    const replayed = replayStep(row({ name: "build" }), 3, "build-image");
    expect(replayed.kind === "stop" && replayed.event).toEqual({
      kind: "nondeterminism",
      error: new NondeterminismError('step 3 is "build-image" now but was "build" when recorded'),
    });
    expect(replayed.kind === "stop" && replayed.event.kind === "nondeterminism" && replayed.event.error).toBeInstanceOf(
      NondeterminismError,
    );
  });
});
