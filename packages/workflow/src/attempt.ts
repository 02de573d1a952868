import { errorCode } from "@hydra/db/errors";
import type { StepContext } from "./define";
import { errorMessage, StepTimeoutError, TerminalError } from "./errors";

export interface AttemptOptions {
  runId: string;
  name: string;
  attempt: number;
  /** The run's signal: the attempt is aborted with it. */
  signal: AbortSignal;
  /** Per attempt: a longer one is aborted and fails with StepTimeoutError (transient). */
  timeoutMs?: number;
}

export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** One attempt of a step body: its output (checked to be JSON) or what it threw. Never throws. */
export async function runAttempt<T>(
  fn: (step: StepContext) => Promise<T> | T,
  { runId, name, attempt, signal, timeoutMs }: AttemptOptions,
): Promise<AttemptOutcome<T>> {
  if (!timeoutMs) {
    // The common case costs no controller: the step sees the run's own signal.
    try {
      return { ok: true, value: assertJson(await fn({ runId, attempt, signal })) };
    } catch (error) {
      return { ok: false, error };
    }
  }
  const controller = new AbortController();
  const forward = () => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    const body = Promise.resolve()
      .then(() => fn({ runId, attempt, signal: controller.signal }))
      .then(assertJson);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new StepTimeoutError(`step ${name} attempt ${attempt} exceeded ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    return { ok: true, value: await Promise.race([body, timeout]) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", forward);
  }
}

/**
 * The TerminalError a failed attempt amounts to (a TerminalError, or an error the step's
 * `isTerminal` deems final, wrapped with its code), or null when it is transient and retried.
 */
export function terminalError(error: unknown, isTerminal?: (error: unknown) => boolean): TerminalError | null {
  if (error instanceof TerminalError) return error;
  if (isTerminal?.(error) !== true) return null;
  return new TerminalError(errorMessage(error), { code: errorCode(error), cause: error });
}

/** A step's output is recorded as JSON; what cannot be is a bug in the step, not worth retrying. */
function assertJson<T>(value: T): T {
  try {
    JSON.stringify(value);
  } catch (error) {
    throw new TerminalError(`step output is not JSON-serializable: ${errorMessage(error)}`);
  }
  return value;
}
