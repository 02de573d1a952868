import type { ErrorCode } from "@hydra/db/errors";

/**
 * What ended a run that did not complete, or parked it (errors as data, in workflow_runs.error_kind):
 * refused — a TerminalError with a code (the request cannot be done: failed_precondition…);
 * failed — a TerminalError without one, or workflow code that threw (paused);
 * deadline — the run's deadline passed; cancelled / superseded — cancel() with that kind;
 * exhausted — a step's retries ran out (paused); nondeterministic — the code no longer matches its journal (paused).
 */
export type FailureKind =
  "refused" | "failed" | "deadline" | "cancelled" | "superseded" | "exhausted" | "nondeterministic";

/** Why cancel() was called: superseded when a newer run replaces this one. */
export type CancelKind = "cancelled" | "superseded";

export interface TerminalErrorOptions {
  /** What callers map to their status (a Connect code name, see @hydra/db/errors). */
  code?: ErrorCode | null;
  /** Default: refused with a code, failed without. */
  kind?: "refused" | "failed";
  cause?: unknown;
}

/**
 * Thrown by a step body: the step fails at once, without retry, and the run fails (after its
 * compensations) with this error's code and kind in columns of their own.
 */
export class TerminalError extends Error {
  override name = "TerminalError";
  readonly code: ErrorCode | null;
  readonly kind: "refused" | "failed";
  constructor(message: string, options: TerminalErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? null;
    this.kind = options.kind ?? (this.code ? "refused" : "failed");
  }
}

/** The workflow code no longer matches its journal (a step renamed, added or removed before the end). */
export class NondeterminismError extends Error {
  override name = "NondeterminismError";
}

/** startRun with an id that exists for a different kind or input. */
export class WorkflowInputConflictError extends Error {
  override name = "WorkflowInputConflictError";
  constructor(
    readonly runId: string,
    detail: string,
  ) {
    super(`workflow run ${runId} already exists with ${detail}`);
  }
}

export class WorkflowNotFoundError extends Error {
  override name = "WorkflowNotFoundError";
  constructor(readonly runId: string) {
    super(`workflow run ${runId} does not exist`);
  }
}

/** result() reached its deadline before the run ended. */
export class WorkflowTimeoutError extends Error {
  override name = "WorkflowTimeoutError";
}

/** A step attempt that exceeded its timeoutMs (transient: retried). */
export class StepTimeoutError extends Error {
  override name = "StepTimeoutError";
}

/** An error as recorded: a coded TerminalError's message stands alone (its code has its own column), others say their name. */
export function errorMessage(error: unknown): string {
  if (error instanceof TerminalError && error.code) return error.message;
  if (error instanceof Error)
    return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
