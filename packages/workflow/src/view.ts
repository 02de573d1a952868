import type { ErrorCode } from "@hydra/db/errors";
import type { CancelKind, FailureKind } from "./errors";
import type { RunRow, RunStatus, StepRow, StepStatus } from "./sql/rows";

export interface StepView {
  sequence: number;
  /** As written by the workflow; engine records start with `$` (`$sleep:…`, `$compensate:…`, `$cancelled`, `$now`…). */
  name: string;
  status: StepStatus;
  attempts: number;
  output: unknown;
  error: string | null;
  errorCode: ErrorCode | null;
  startedAt: Date;
  endedAt: Date | null;
}

export interface RunView {
  id: string;
  kind: string;
  key: string;
  input: unknown;
  status: RunStatus;
  output: unknown;
  error: string | null;
  /** Errors as data: the failure's code and kind, never parsed from `error`. */
  errorCode: ErrorCode | null;
  errorKind: FailureKind | null;
  owner: string | null;
  epoch: bigint;
  leaseExpiresAt: Date | null;
  wakeAt: Date | null;
  deadlineAt: Date | null;
  cancelRequestedAt: Date | null;
  cancelReason: string | null;
  cancelKind: CancelKind | null;
  createdAt: Date;
  updatedAt: Date;
  endedAt: Date | null;
  steps: StepView[];
}

export function runView(run: RunRow, steps: StepRow[]): RunView {
  return {
    id: run.id,
    kind: run.kind,
    key: run.key,
    input: run.input,
    status: run.status,
    output: run.output,
    error: run.error,
    errorCode: run.error_code,
    errorKind: run.error_kind,
    owner: run.owner,
    epoch: run.epoch,
    leaseExpiresAt: run.lease_expires_at,
    wakeAt: run.wake_at,
    deadlineAt: run.deadline_at,
    cancelRequestedAt: run.cancel_requested_at,
    cancelReason: run.cancel_reason,
    cancelKind: run.cancel_kind,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
    endedAt: run.ended_at,
    steps: steps.map((s) => ({
      sequence: s.sequence,
      name: s.name,
      status: s.status,
      attempts: s.attempts,
      output: s.output_missing ? undefined : s.output,
      error: s.error,
      errorCode: s.error_code,
      startedAt: s.started_at,
      endedAt: s.ended_at,
    })),
  };
}
