import type { StepOptions, WorkflowContext } from "@hydra/workflow";
import { isTerminalError, withTestDelay, type DeploySettings } from "./deps";

/**
 * `ctx.step` for a workflow's named steps: the step's body gets its abort signal, errors are
 * classified by `isTerminalError`, the crash-test delay applies, and the step running now is
 * known (for recording where a run failed).
 */
export function stepRunner<Name extends string>(ctx: WorkflowContext, settings: DeploySettings, first: Name) {
  let current: Name = first;
  return {
    step<T>(name: Name, fn: (signal: AbortSignal) => Promise<T>, options: StepOptions = {}): Promise<T> {
      current = name;
      return ctx.step(name, withTestDelay(settings, name, (s) => fn(s.signal)), { isTerminal: isTerminalError, ...options });
    },
    current: (): Name => current,
  };
}
