import type { CancelKind } from "./errors";
import type { RetryPolicy } from "./retry";

/** What a step body receives. */
export interface StepContext {
  runId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted on cancel request, lease loss, engine stop, run deadline or the step's timeout. */
  signal: AbortSignal;
}

export interface StepOptions {
  retry?: Partial<RetryPolicy>;
  /** Per attempt; an attempt that takes longer is aborted and counts as a transient failure. */
  timeoutMs?: number;
  /** Classifies errors as terminal besides TerminalError (e.g. a 4xx from an API). */
  isTerminal?: (error: unknown) => boolean;
}

export interface WorkflowContext {
  readonly runId: string;
  readonly kind: string;
  readonly key: string;
  /**
   * Runs `fn` once per run: its output (JSON: plain objects, arrays, strings, numbers, booleans,
   * null; a Date comes back as a string) is recorded and returned again on replay without
   * running it. Retried per `options.retry` on errors other than TerminalError; after the last
   * attempt the run is paused for an operator. Names must be the same at the same place on
   * every execution, or the run stops with a NondeterminismError.
   */
  step<T>(name: string, fn: (step: StepContext) => Promise<T> | T, options?: StepOptions): Promise<T>;
  /** A durable timer: the run hands back its worker and is woken when `ms` have passed, across restarts. */
  sleep(name: string, ms: number): Promise<void>;
  /** The time, recorded on first execution and the same on replay. */
  now(): Promise<Date>;
  /** A random UUID, recorded on first execution and the same on replay. */
  randomId(): Promise<string>;
  /**
   * Registers a compensation: if the run is cancelled, misses its deadline or fails with a
   * TerminalError, the registered compensations run as durable steps, last registered first.
   */
  compensate(name: string, fn: (step: StepContext) => Promise<unknown> | unknown, options?: StepOptions): void;
  /** True once a cancel was requested; the run stops at its next step boundary. */
  readonly cancelled: boolean;
  /** The reason given to cancel(), once known (always known by the time compensations run). */
  readonly cancelReason: string | null;
  /** The kind given to cancel() (cancelled, or superseded by a newer run), once a cancel was requested; null before. */
  readonly cancelKind: CancelKind | null;
  /** While compensations run: why. Null otherwise. */
  readonly compensating: "cancelled" | "deadline" | "failed" | null;
  /** Aborted when a cancel is requested, the lease is lost, the engine stops or the deadline passes. */
  readonly signal: AbortSignal;
}

export type WorkflowFunction<I, O> = (ctx: WorkflowContext, input: I) => Promise<O>;

export interface WorkflowDefinition<I = unknown, O = unknown> {
  readonly kind: string;
  readonly run: WorkflowFunction<I, O>;
}

export function defineWorkflow<I, O>(kind: string, run: WorkflowFunction<I, O>): WorkflowDefinition<I, O> {
  if (!/^[a-z][a-z0-9._-]*$/i.test(kind)) throw new TypeError(`invalid workflow kind ${JSON.stringify(kind)}`);
  return { kind, run };
}

/** For deployment events: emitted for live step executions (not for replayed ones). */
export interface StepEvent {
  type: "started" | "completed" | "retrying" | "failed";
  runId: string;
  kind: string;
  key: string;
  step: string;
  sequence: number;
  attempt: number;
  /** `$compensate:` steps are compensations. */
  compensation: boolean;
  error?: string;
  /** For `retrying`: the wait before the next attempt. For `failed`: whether the run is paused (budget) or failing (terminal). */
  retryInMs?: number;
  outcome?: "paused" | "terminal";
}

/** pino-compatible. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
