import { NondeterminismError, TerminalError } from "./errors";
import type { RunEvent } from "./run-phase";
import type { StepRow } from "./sql/rows";

/** Recorded where a run stopped going forward, so a replay stops at the same place. */
export const CANCELLED_MARKER = "$cancelled";
export const DEADLINE_MARKER = "$deadline";

/** What the journal says of the step about to run at a sequence. */
export type Replayed<T> =
  /** Recorded as completed: return its output without running it. */
  | { kind: "ok"; value: T }
  /** Recorded as failed terminally: rethrow the same error. */
  | { kind: "terminal"; error: TerminalError }
  /** The run stops here: a cancel or deadline marker, or a step that is not the one recorded. */
  | { kind: "stop"; event: RunEvent }
  /** Not recorded, or unfinished: run it, counting the attempts it already had. */
  | { kind: "run"; attempts: number; startedAt: Date; recorded: StepRow | null };

/** Replay: the journal's answer for step `name` at `sequence`. Pure. */
export function replayStep<T>(recorded: StepRow | undefined, sequence: number, name: string): Replayed<T> {
  if (!recorded) return { kind: "run", attempts: 0, startedAt: new Date(), recorded: null };
  if (recorded.name === CANCELLED_MARKER || recorded.name === DEADLINE_MARKER) {
    return {
      kind: "stop",
      event: { kind: "interrupted", by: recorded.name === CANCELLED_MARKER ? "cancel" : "deadline" },
    };
  }
  if (recorded.name !== name) {
    const error = new NondeterminismError(
      `step ${sequence} is ${JSON.stringify(name)} now but was ${JSON.stringify(recorded.name)} when recorded`,
    );
    return { kind: "stop", event: { kind: "nondeterminism", error } };
  }
  switch (recorded.status) {
    case "completed":
      return { kind: "ok", value: (recorded.output_missing ? undefined : recorded.output) as T };
    case "failed":
      return {
        kind: "terminal",
        error: new TerminalError(recorded.error ?? "step failed", {
          code: recorded.error_code,
          kind: recorded.error_kind ?? undefined,
        }),
      };
    case "running":
      return { kind: "run", attempts: recorded.attempts, startedAt: recorded.started_at, recorded };
  }
}
