import { errorMessage, TerminalError, type NondeterminismError } from "./errors";

/**
 * The lifecycle of one execution of a run (one claim, at one epoch): what `RunExecution` holds,
 * and the one function that moves it. Pure, so every transition is in the table of
 * run-phase.test.ts.
 *
 * ```
 * running ──interrupted (cancel / deadline at a boundary)──────▶ compensating ──compensated──▶ ending ──written──▶ settled
 *    │  └──threw a TerminalError (any error, once cancelled)───▶      │  └──nondeterminism / stalled──▶ ending (parked)
 *    ├──returned / threw / nondeterminism ───────────────────────────────────────────────────▶ ending
 *    └──suspended (a sleep, or a step out of retries) ─────────────────────────────────────────────────────────▶ settled
 * running, compensating, ending ──leaseLost / handedBack──▶ gone
 * ```
 *
 * `cancelRequested` is orthogonal: a cancel can be learnt in any phase; while `running` it makes
 * the body stop at its next step boundary.
 */
export type RunPhase = { readonly cancelRequested: boolean } &
  /** The workflow body goes forward, step by step. */
  (
    | { readonly kind: "running" }
    /** The body stopped; its registered compensations run as durable steps, last first. */
    | { readonly kind: "compensating"; readonly cause: CompensationCause }
    /** Only the outcome write is left (the engine already counts the slot as free). */
    | { readonly kind: "ending"; readonly ending: Ending }
    /** The run left `running` in the database: nothing is left to hand back. */
    | { readonly kind: "settled"; readonly status: SettledStatus }
    /** Nothing more may be written: another owner has the run (lost), or it was handed back on stop (released). */
    | { readonly kind: "gone"; readonly why: "lost" | "released" }
  );

/** Why compensations run (`ctx.compensating` is its `why`). */
export type CompensationCause =
  | { readonly why: "cancelled" }
  | { readonly why: "deadline" }
  | { readonly why: "failed"; readonly error: TerminalError };

/** The outcome about to be written. */
export type Ending =
  | { readonly kind: "completed"; readonly output: unknown }
  /** failed (TerminalError, deadline) or cancelled, after the compensations (their failures appended). */
  | { readonly kind: "compensated"; readonly cause: CompensationCause; readonly errors: readonly string[] }
  /** Cancelled, but the code no longer matches its journal: its compensations cannot be trusted, so none run. */
  | { readonly kind: "cancelledUnreplayable"; readonly error: NondeterminismError }
  /** Paused for an operator. */
  | { readonly kind: "parked"; readonly error: string; readonly failure: "failed" | "nondeterministic" };

export type SettledStatus = "completed" | "failed" | "cancelled" | "paused" | "sleeping";

export type RunEvent =
  /** A heartbeat, a notification or a checkpoint learnt of a cancel request. */
  | { readonly kind: "cancelNoted" }
  /** At a step boundary the body stopped for a cancel or the deadline: its marker was recorded, or replayed. */
  | { readonly kind: "interrupted"; readonly by: "cancel" | "deadline" }
  /** A step handed the run back in the database: sleeping (a durable timer) or paused (retries exhausted). */
  | { readonly kind: "suspended"; readonly status: "sleeping" | "paused" }
  /** The code no longer matches the journal. */
  | { readonly kind: "nondeterminism"; readonly error: NondeterminismError }
  /** The workflow function returned (after all its recorded steps). */
  | { readonly kind: "returned"; readonly output: unknown }
  /** The workflow function threw. */
  | { readonly kind: "threw"; readonly error: unknown }
  /** Every registered compensation ran; the failures of those that failed. */
  | { readonly kind: "compensated"; readonly errors: readonly string[] }
  /** The compensations stopped for no reason the lifecycle knows of: park the run rather than leave it running. */
  | { readonly kind: "stalled" }
  /** The outcome write committed. */
  | { readonly kind: "written" }
  /** A fenced write or the heartbeat found the run reclaimed at a newer epoch (or the outcome is unknown). */
  | { readonly kind: "leaseLost" }
  /** Engine shutdown: the run is handed back, pending, for another instance. */
  | { readonly kind: "handedBack" };

export const STARTED: RunPhase = { kind: "running", cancelRequested: false };

/** The phase after `event`, or null when the event does not apply in `phase` (it is then ignored). */
export function transition(phase: RunPhase, event: RunEvent): RunPhase | null {
  const { cancelRequested } = phase;
  switch (event.kind) {
    case "cancelNoted":
      return cancelRequested ? null : { ...phase, cancelRequested: true };
    case "leaseLost":
    case "handedBack":
      if (phase.kind === "settled" || phase.kind === "gone") return null;
      return { kind: "gone", why: event.kind === "leaseLost" ? "lost" : "released", cancelRequested };
    case "written":
      return phase.kind === "ending" ? { kind: "settled", status: settledStatus(phase.ending), cancelRequested } : null;
  }
  if (phase.kind === "running") return fromRunning(event, cancelRequested);
  if (phase.kind === "compensating") return fromCompensating(phase.cause, event, cancelRequested);
  return null;
}

function fromRunning(event: RunEvent, cancelRequested: boolean): RunPhase | null {
  switch (event.kind) {
    case "interrupted":
      return compensating(event.by === "cancel" ? { why: "cancelled" } : { why: "deadline" }, cancelRequested);
    case "suspended":
      return { kind: "settled", status: event.status, cancelRequested };
    case "nondeterminism":
      // Cancelled anyway: the compensations are as untrustworthy as the rest of the code, so none run.
      return cancelRequested
        ? ending({ kind: "cancelledUnreplayable", error: event.error }, cancelRequested)
        : ending({ kind: "parked", error: errorMessage(event.error), failure: "nondeterministic" }, cancelRequested);
    case "returned":
      return ending({ kind: "completed", output: event.output }, cancelRequested);
    case "threw":
      if (event.error instanceof TerminalError)
        return compensating({ why: "failed", error: event.error }, cancelRequested);
      // Once cancelled, a throw is the body giving up on the cancel (e.g. its aborted signal).
      if (cancelRequested) return compensating({ why: "cancelled" }, cancelRequested);
      // Not a step failure: a bug in the workflow code. Park it, visibly, for a fix and resume.
      return ending({ kind: "parked", error: errorMessage(event.error), failure: "failed" }, cancelRequested);
    default:
      return null;
  }
}

function fromCompensating(cause: CompensationCause, event: RunEvent, cancelRequested: boolean): RunPhase | null {
  switch (event.kind) {
    case "compensated":
      return ending({ kind: "compensated", cause, errors: event.errors }, cancelRequested);
    case "suspended":
      // A compensation ran out of retries; a resume replays the body to the same point and runs it again.
      return event.status === "paused" ? { kind: "settled", status: "paused", cancelRequested } : null;
    // Never leave a run `running` with nobody driving it (a sweeper would hand it back here
    // again and again): park it for an operator with what went wrong.
    case "nondeterminism":
      return ending(
        { kind: "parked", error: `${STALLED}: ${errorMessage(event.error)}`, failure: "nondeterministic" },
        cancelRequested,
      );
    case "stalled":
      return ending({ kind: "parked", error: `${STALLED}: unknown cause`, failure: "failed" }, cancelRequested);
    default:
      return null;
  }
}

const STALLED = "execution stopped without an outcome";

function compensating(cause: CompensationCause, cancelRequested: boolean): RunPhase {
  return { kind: "compensating", cause, cancelRequested };
}

function ending(outcome: Ending, cancelRequested: boolean): RunPhase {
  return { kind: "ending", ending: outcome, cancelRequested };
}

function settledStatus(ending: Ending): SettledStatus {
  switch (ending.kind) {
    case "completed":
      return "completed";
    case "compensated":
      return ending.cause.why === "cancelled" ? "cancelled" : "failed";
    case "cancelledUnreplayable":
      return "cancelled";
    case "parked":
      return "paused";
  }
}
