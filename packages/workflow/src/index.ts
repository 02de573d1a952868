export { createEngine } from "./engine";
export { OwnerIdInUseError } from "./owner-session";
export type {
  CancelOptions,
  EngineOptions,
  ResultOptions,
  RunOutcome,
  StartedRun,
  StartRunRequest,
  StopOptions,
  WorkflowEngine,
} from "./engine";
export { defineWorkflow } from "./define";
export type {
  Logger,
  StepContext,
  StepEvent,
  StepOptions,
  WorkflowContext,
  WorkflowDefinition,
  WorkflowFunction,
} from "./define";
export type { CancelKind, FailureKind, TerminalErrorOptions } from "./errors";
export type { ErrorCode } from "@hydra/db/errors";
export {
  NondeterminismError,
  StepTimeoutError,
  TerminalError,
  WorkflowInputConflictError,
  WorkflowNotFoundError,
  WorkflowTimeoutError,
} from "./errors";
export { DEFAULT_RETRY, type RetryPolicy } from "./retry";
export { deleteFinishedRuns } from "./sql/deleteFinishedRuns";
export type { RunFilter } from "./sql/listRuns";
export type { RunStatus, StepStatus } from "./sql/rows";
export type { RunView, StepView } from "./view";
