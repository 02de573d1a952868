import type { Pool } from "@hydra/db";
import type { ErrorCode } from "@hydra/db/errors";
import { WorkflowNotFoundError, WorkflowTimeoutError, type FailureKind } from "./errors";
import { findRun } from "./sql/findRun";
import { TERMINAL_STATUSES, type RunRow } from "./sql/rows";

/**
 * How a run ended (or parked). A failure is data: `code` (a Connect code name, null when the
 * error had none) and `kind` say what happened; `error` is the message for people.
 */
export type RunOutcome<O = unknown> =
  | { id: string; status: "completed"; output: O }
  | {
      id: string;
      status: "failed" | "cancelled" | "paused";
      error: string;
      code: ErrorCode | null;
      kind: FailureKind | null;
    };

export interface ResultOptions {
  deadline?: Date;
  timeoutMs?: number;
  /** Also settle when the run pauses (retries exhausted) instead of waiting for an operator. */
  settleOnPause?: boolean;
}

/**
 * Callers of `result()`: each waits, without polling, for its run's outcome. The run is read
 * once at the start (or when it ends here, if it executes on this instance), on each `ended`
 * notification for it, and after the LISTEN connection reconnects (notifications sent meanwhile
 * are lost); it settles at the outcome, or with WorkflowTimeoutError at its deadline.
 */
export class ResultWaiters {
  /** Per run id, the re-read of each waiting caller. */
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly pool: Pool) {}

  /** `deadline` in ms since the epoch (`resultDeadline`); `runsHere`: the run's execution on this instance, if any. */
  wait<O>(
    id: string,
    deadline: number,
    settleOnPause: boolean,
    runsHere: Promise<void> | undefined,
  ): Promise<RunOutcome<O>> {
    return new Promise<RunOutcome<O>>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const checks = this.waiting.get(id);
        checks?.delete(check);
        if (checks?.size === 0) this.waiting.delete(id);
        settle();
      };
      const check = () => {
        if (settled) return;
        findRun(this.pool, id).then(
          (run) => {
            if (!run) return finish(() => reject(new WorkflowNotFoundError(id)));
            const outcome = outcomeOf<O>(run, settleOnPause);
            if (outcome) finish(() => resolve(outcome));
          },
          (error: unknown) => finish(() => reject(error)),
        );
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            reject(new WorkflowTimeoutError(`workflow run ${id} did not end by ${new Date(deadline).toISOString()}`)),
          ),
        Math.max(0, deadline - Date.now()),
      );
      let checks = this.waiting.get(id);
      if (!checks) this.waiting.set(id, (checks = new Set()));
      checks.add(check);
      // A run executing here is read once it ends; any other is read now (then on each notification).
      if (runsHere) void runsHere.then(check);
      else check();
    });
  }

  /** The run's `ended` notification. */
  ended(id: string): void {
    for (const check of this.waiting.get(id) ?? []) check();
  }

  /** Every waited run, read again (after a reconnect). */
  recheckAll(): void {
    for (const checks of this.waiting.values()) for (const check of checks) check();
  }
}

/** When `result()` gives up, in ms since the epoch; TypeError without a deadline. */
export function resultDeadline(options: ResultOptions): number {
  const deadline =
    options.deadline?.getTime() ?? (options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined);
  if (deadline === undefined) throw new TypeError("result: a deadline or timeoutMs is required");
  return deadline;
}

function outcomeOf<O>(run: RunRow, settleOnPause: boolean): RunOutcome<O> | null {
  if (run.status === "completed") return { id: run.id, status: "completed", output: run.output as O };
  if (TERMINAL_STATUSES.includes(run.status) || (settleOnPause && run.status === "paused")) {
    return {
      id: run.id,
      status: run.status as "failed" | "cancelled" | "paused",
      error: run.error ?? run.status,
      code: run.error_code,
      kind: run.error_kind,
    };
  }
  return null;
}
