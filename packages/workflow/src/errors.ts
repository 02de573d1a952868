/** Thrown by a step body: the step fails at once, without retry, and the run fails (after its compensations). */
export class TerminalError extends Error {
  override name = "TerminalError";
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

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.name && error.name !== "Error" ? `${error.name}: ${error.message}` : error.message;
  return String(error);
}
