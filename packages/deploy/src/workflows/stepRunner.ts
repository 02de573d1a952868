import { errorCode } from "@hydra/db/errors";
import {
  DEFAULT_RETRY,
  TerminalError,
  type StepContext,
  type StepOptions,
  type WorkflowContext,
} from "@hydra/workflow";
import { isTerminalError, withTestDelay, type DeploySettings } from "./deps";

export interface StepRunnerPolicy {
  /**
   * The last attempt's failure ends the run (its compensations run) instead of pausing it for
   * an operator. For synchronous workflows (Rollback, Promote): their caller gives up anyway,
   * and a paused run whose caller's instance died would stay paused, holding what its
   * compensations must undo, with nobody left to cancel it.
   */
  failWhenExhausted?: boolean;
}

/**
 * `ctx.step` for a workflow's named steps: the step's body gets its abort signal, errors are
 * classified by `isTerminalError`, the crash-test delay applies, and the step running now is
 * known (for recording where a run failed).
 */
export function stepRunner<Name extends string>(
  ctx: WorkflowContext,
  settings: DeploySettings,
  first: Name,
  policy: StepRunnerPolicy = {},
) {
  let current: Name = first;
  return {
    step<T>(name: Name, fn: (signal: AbortSignal) => Promise<T>, options: StepOptions = {}): Promise<T> {
      current = name;
      const body = withTestDelay(settings, name, (s) => fn(s.signal));
      const maxAttempts = options.retry?.maxAttempts ?? DEFAULT_RETRY.maxAttempts;
      return ctx.step(name, policy.failWhenExhausted ? lastAttemptTerminal(body, maxAttempts) : body, {
        isTerminal: isTerminalError,
        ...options,
      });
    },
    current: (): Name => current,
  };
}

function lastAttemptTerminal<T>(
  body: (step: StepContext) => Promise<T>,
  maxAttempts: number,
): (step: StepContext) => Promise<T> {
  return async (step) => {
    try {
      return await body(step);
    } catch (error) {
      if (step.attempt < maxAttempts || error instanceof TerminalError) throw error;
      throw new TerminalError(
        `failed after ${step.attempt} attempt(s): ${error instanceof Error ? error.message : String(error)}`,
        { code: errorCode(error), kind: "failed", cause: error },
      );
    }
  };
}
