import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import { randomUUID } from "node:crypto";
import type { Logger, StepContext, StepEvent, StepOptions, WorkflowContext, WorkflowDefinition } from "./define";
import { errorCode } from "@hydra/db/errors";
import { runAttempt, terminalError } from "./attempt";
import { errorMessage, NondeterminismError, type CancelKind, type TerminalError } from "./errors";
import { CANCELLED_MARKER, DEADLINE_MARKER, replayStep } from "./replay";
import { STARTED, transition, type CompensationCause, type Ending, type RunEvent, type RunPhase } from "./run-phase";
import { backoffMs, retryPolicy, type RetryPolicy } from "./retry";
import { completeRun } from "./sql/completeRun";
import { completeStep, type CheckpointResult } from "./sql/completeStep";
import { failRun, type RunFailure } from "./sql/failRun";
import { findRun } from "./sql/findRun";
import { listSteps } from "./sql/listSteps";
import { pauseRun } from "./sql/pauseRun";
import { recordMarker } from "./sql/recordMarker";
import { releaseRun } from "./sql/releaseRun";
import type { Queryable, RunRow, StepRow } from "./sql/rows";
import { saveStepAttempt } from "./sql/saveStepAttempt";
import { sleepRun } from "./sql/sleepRun";

/** What an execution needs from its engine. */
export interface ExecutionHooks {
  db: Queryable;
  logger: Logger;
  onStepEvent?: (event: StepEvent) => void | Promise<void>;
  /** A sleeping run is due at `at`: sweep then, so the timer fires on time. */
  wakeAt(at: Date): void;
}

type StepResult<T> = { kind: "ok"; value: T } | { kind: "terminal"; error: TerminalError } | { kind: "halted" };
const HALTED = { kind: "halted" } as const;

interface StepMode {
  /** A forward step of the workflow body: cancel and deadline are observed before it. */
  boundary: boolean;
  compensation: boolean;
  events: boolean;
}

const BODY_STEP: StepMode = { boundary: true, compensation: false, events: true };
const COMPENSATION_STEP: StepMode = { boundary: false, compensation: true, events: true };
const RECORDED_VALUE: StepMode = { boundary: false, compensation: false, events: false };
const SLEEP: StepMode = { boundary: true, compensation: false, events: false };

/** A step past replay: where it is in the journal, how it runs, and since when. */
interface StepInFlight {
  sequence: number;
  name: string;
  mode: StepMode;
  startedAt: Date;
}
const MAX_TIMER_MS = 2_147_483_647;

/** Workflow code after a halt must not go on: its awaits never settle, and it is garbage collected. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

function validateName(what: string, name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 200 || name.startsWith("$")) {
    throw new TypeError(`invalid ${what} name ${JSON.stringify(name)}: 1-200 characters, not starting with "$"`);
  }
}

/**
 * One claimed run, driven from its journal: recorded steps return their outputs, the first
 * unrecorded one runs. Owns the run at `epoch` until it ends, suspends, or is fenced out.
 */
export class RunExecution {
  readonly id: string;
  readonly epoch: bigint;
  private readonly journal = new Map<number, StepRow>();
  private nextSequence = 0;
  /** Where this execution is in the run's lifecycle; moved only by `apply` (run-phase.ts). */
  private phase: RunPhase;
  /** Resolved when the phase leaves `running`: the body's awaits no longer settle, the execution moves on. */
  private readonly bodyStopped: Promise<null>;
  private resolveBodyStopped: (value: null) => void = () => {};
  /** ctx.signal: aborted on cancel, deadline, lease loss, stop. */
  private readonly bodyAbort = new AbortController();
  /** For compensations, which must still run after a cancel: aborted on lease loss and stop only. */
  private readonly lifeAbort = new AbortController();
  private cancelReason: string | null;
  private cancelKind: CancelKind;
  private readonly compensations: { name: string; fn: (step: StepContext) => unknown; options?: StepOptions }[] = [];
  private deadlineTimer: NodeJS.Timeout | undefined;
  private readonly ctx: WorkflowContext;

  constructor(
    private readonly run: RunRow,
    private readonly definition: WorkflowDefinition,
    private readonly hooks: ExecutionHooks,
    /** A run created by this very claim has no steps to load. */
    private readonly fresh: boolean,
  ) {
    this.id = run.id;
    this.epoch = run.epoch;
    this.phase = { ...STARTED, cancelRequested: run.cancel_requested_at !== null };
    this.bodyStopped = new Promise<null>((resolve) => (this.resolveBodyStopped = resolve));
    this.cancelReason = run.cancel_reason;
    this.cancelKind = run.cancel_kind ?? "cancelled";
    this.ctx = this.createContext();
  }

  get deadlineAt(): Date | null {
    return this.run.deadline_at;
  }

  /** Past the body: only the final write is left (or none), so the engine may already count the slot as free. */
  get windingDown(): boolean {
    return this.phase.kind === "ending" || this.phase.kind === "settled";
  }

  /** Drives the run until it settles or is gone. Never throws. */
  async execute(): Promise<void> {
    try {
      if (!this.fresh)
        for (const step of await listSteps(this.hooks.db, this.id)) this.journal.set(step.sequence, step);
      this.armDeadline();
      const body = Promise.resolve()
        .then(() => this.definition.run(this.ctx, this.run.input))
        .then(
          (output) => this.returned(output),
          (error: unknown): RunEvent => ({ kind: "threw", error }),
        );
      const ended = await Promise.race([body, this.bodyStopped]);
      if (ended) this.apply(ended); // refused when a step stopped the body meanwhile: that stop stands
      for (;;) {
        const phase = this.phase;
        if (phase.kind === "compensating") await this.compensate(phase.cause);
        else if (phase.kind === "ending") await this.writeOutcome(phase.ending);
        else if (phase.kind === "running") throw new Error("the body stopped while its phase is running");
        else return;
      }
    } catch (error) {
      // A database error with the outcome unknown: stop, let the lease lapse, and let a sweeper
      // hand the run to a fresh execution that replays from what was committed.
      this.hooks.logger.error({ runId: this.id, err: error }, "workflow execution aborted");
      this.apply({ kind: "leaseLost" });
    } finally {
      clearTimeout(this.deadlineTimer);
      this.lifeAbort.abort(new Error("execution ended"));
    }
  }

  /** The heartbeat or a notification learnt of a cancel request. */
  noteCancel(): void {
    this.apply({ kind: "cancelNoted" });
  }

  /** The heartbeat, or a fenced write, found the run reclaimed: another owner has it at a newer epoch. */
  noteLeaseLost(how = "lease lost"): void {
    if (this.apply({ kind: "leaseLost" }))
      this.hooks.logger.warn({ runId: this.id, epoch: String(this.epoch) }, `workflow ${how}; stopping`);
  }

  /** Engine shutdown: stop at once and hand the run back (its in-flight step may run again elsewhere). */
  async handBack(): Promise<void> {
    if (this.apply({ kind: "handedBack" })) await releaseRun(this.hooks.db, this.id, this.epoch);
  }

  /** Moves the phase (false when the event is refused in it) and aborts what the new phase stops. */
  private apply(event: RunEvent): boolean {
    const previous = this.phase;
    const next = transition(previous, event);
    if (!next) return false;
    this.phase = next;
    if (next.kind === "gone") {
      const reason = new Error(`workflow ${next.why === "lost" ? "lost" : "stopping"}`);
      this.bodyAbort.abort(reason);
      this.lifeAbort.abort(reason);
    } else if (next.cancelRequested && !previous.cancelRequested) {
      this.bodyAbort.abort(new Error("cancel requested"));
    } else if (previous.kind === "running" && next.kind === "compensating" && next.cause.why !== "failed") {
      this.bodyAbort.abort(new Error(next.cause.why === "cancelled" ? "cancel requested" : "deadline exceeded"));
    }
    if (previous.kind === "running" && next.kind !== "running") this.resolveBodyStopped(null);
    return true;
  }

  private armDeadline(): void {
    const deadline = this.run.deadline_at;
    if (!deadline) return;
    const inMs = deadline.getTime() - Date.now();
    if (inMs > MAX_TIMER_MS) return;
    this.deadlineTimer = setTimeout(() => this.bodyAbort.abort(new Error("deadline exceeded")), Math.max(0, inMs));
    this.deadlineTimer.unref();
  }

  private deadlinePassed(): boolean {
    return this.run.deadline_at !== null && Date.now() >= this.run.deadline_at.getTime();
  }

  // ---- endings -------------------------------------------------------------------------

  /** The body returned: done, unless the journal holds steps it did not reach. */
  private returned(output: unknown): RunEvent {
    const unplayed = [...this.journal.keys()].filter((sequence) => sequence >= this.nextSequence);
    if (unplayed.length === 0) return { kind: "returned", output };
    const names = unplayed.map((s) => this.journal.get(s)!.name).join(", ");
    return {
      kind: "nondeterminism",
      error: new NondeterminismError(`workflow returned before recorded step(s) ${names} at ${unplayed.join(", ")}`),
    };
  }

  private async compensate(cause: CompensationCause): Promise<void> {
    if (cause.why === "cancelled") {
      const run = await findRun(this.hooks.db, this.id);
      this.cancelReason = run?.cancel_reason ?? this.cancelReason ?? "cancelled";
      this.cancelKind = run?.cancel_kind ?? this.cancelKind;
    }
    const errors = await this.runCompensations();
    // Null: a compensation step stopped (lease lost, paused, off its journal); its event moved the phase.
    this.apply(errors ? { kind: "compensated", errors } : { kind: "stalled" });
  }

  /** The one fenced write that takes the run out of `running`. */
  private async writeOutcome(ending: Ending): Promise<void> {
    let written: boolean;
    switch (ending.kind) {
      case "completed":
        written = await completeRun(this.hooks.db, this.id, this.epoch, ending.output);
        break;
      case "compensated":
        written = await failRun(this.hooks.db, this.id, this.epoch, this.failureAfter(ending.cause, ending.errors));
        break;
      case "cancelledUnreplayable": {
        this.hooks.logger.error({ runId: this.id, err: ending.error }, "workflow nondeterminism; cancelled run ended");
        const run = await findRun(this.hooks.db, this.id);
        written = await failRun(this.hooks.db, this.id, this.epoch, {
          status: "cancelled",
          error: `cancelled; compensations skipped: ${errorMessage(ending.error)}`,
          code: null,
          kind: run?.cancel_kind ?? this.cancelKind,
        });
        break;
      }
      case "parked":
        this.hooks.logger.error({ runId: this.id, error: ending.error }, "workflow run paused");
        written = await pauseRun(this.hooks.db, {
          runId: this.id,
          epoch: this.epoch,
          error: ending.error,
          code: null,
          kind: ending.failure,
        });
        break;
    }
    if (written) this.apply({ kind: "written" });
    else this.noteLeaseLost();
  }

  private failureAfter(cause: CompensationCause, errors: readonly string[]): RunFailure {
    switch (cause.why) {
      case "cancelled":
        return {
          status: "cancelled",
          error: appendErrors(this.cancelReason ?? "cancelled", errors),
          code: null,
          kind: this.cancelKind,
        };
      case "deadline":
        return {
          status: "failed",
          error: appendErrors("deadline exceeded", errors),
          code: "deadline_exceeded",
          kind: "deadline",
        };
      case "failed":
        return {
          status: "failed",
          error: appendErrors(errorMessage(cause.error), errors),
          code: cause.error.code,
          kind: cause.error.kind,
        };
    }
  }

  /** Runs the registered compensations, last first. Null when one stopped (paused, lost, off its journal). */
  private async runCompensations(): Promise<string[] | null> {
    const errors: string[] = [];
    for (const compensation of [...this.compensations].reverse()) {
      const sequence = this.nextSequence++;
      const result = await this.runStep(
        sequence,
        `$compensate:${compensation.name}`,
        compensation.fn,
        compensation.options ?? {},
        COMPENSATION_STEP,
      );
      if (result.kind === "halted") return null;
      if (result.kind === "terminal") errors.push(`compensation ${compensation.name}: ${result.error.message}`);
    }
    return errors;
  }

  // ---- the context ----------------------------------------------------------------------

  private createContext(): WorkflowContext {
    const execution = this;
    return {
      runId: this.run.id,
      kind: this.run.kind,
      key: this.run.key,
      get cancelled() {
        return execution.phase.cancelRequested;
      },
      get cancelReason() {
        return execution.cancelReason;
      },
      get cancelKind() {
        return execution.phase.cancelRequested ? execution.cancelKind : null;
      },
      get compensating() {
        const phase = execution.phase;
        return phase.kind === "compensating" ? phase.cause.why : null;
      },
      get signal() {
        return execution.bodyAbort.signal;
      },
      step: async <T>(
        name: string,
        fn: (step: StepContext) => Promise<T> | T,
        options: StepOptions = {},
      ): Promise<T> => {
        validateName("step", name);
        if (this.phase.kind !== "running") return never();
        const result = await this.runStep(this.nextSequence++, name, fn, options, BODY_STEP);
        if (result.kind === "halted") return never();
        if (result.kind === "terminal") throw result.error;
        return result.value;
      },
      sleep: (name: string, ms: number) => {
        validateName("sleep", name);
        if (!Number.isFinite(ms) || ms < 0)
          throw new RangeError(`sleep ${name}: ms must be a finite number ≥ 0, got ${ms}`);
        return this.sleep(name, ms);
      },
      now: async () => new Date(await this.recordedValue("$now", () => Date.now())),
      randomId: () => this.recordedValue("$randomId", () => randomUUID()),
      compensate: (name, fn, options) => {
        validateName("compensation", name);
        this.compensations.push({ name, fn, options });
      },
    };
  }

  private async recordedValue<T>(name: string, make: () => T): Promise<T> {
    if (this.phase.kind !== "running") return never();
    const result = await this.runStep(this.nextSequence++, name, make, { retry: { maxAttempts: 1 } }, RECORDED_VALUE);
    if (result.kind !== "ok") return never();
    return result.value;
  }

  // ---- steps: replay, then attempts, each outcome checkpointed --------------------------

  /**
   * The step at `sequence`: its recorded result when the journal has one (replay), otherwise
   * attempts until it succeeds, fails terminally, runs out of retries or the run stops.
   */
  private async runStep<T>(
    sequence: number,
    name: string,
    fn: (step: StepContext) => Promise<T> | T,
    options: StepOptions,
    mode: StepMode,
  ): Promise<StepResult<T>> {
    const replayed = replayStep<T>(this.journal.get(sequence), sequence, name);
    if (replayed.kind === "stop") {
      this.apply(replayed.event);
      return HALTED;
    }
    if (replayed.kind !== "run") return replayed;
    const step: StepInFlight = { sequence, name, mode, startedAt: replayed.startedAt };
    if (await this.stopsAtBoundary(step)) return HALTED;
    return this.attempts(step, fn, options, replayed.attempts);
  }

  /** Runs the body, again after each transient failure (with backoff), recording every outcome. */
  private async attempts<T>(
    step: StepInFlight,
    fn: (step: StepContext) => Promise<T> | T,
    options: StepOptions,
    previousAttempts: number,
  ): Promise<StepResult<T>> {
    // A compensation goes on after a cancel (that is when it runs); only loss of the run aborts it.
    const signal = step.mode.compensation ? this.lifeAbort.signal : this.bodyAbort.signal;
    let policy: RetryPolicy | undefined; // only needed once an attempt fails
    for (let attempt = previousAttempts + 1; ; attempt++) {
      if (this.stepStopped(step)) return HALTED;
      await this.stepEvent(step, "started", attempt);
      const outcome = await runAttempt(fn, {
        runId: this.id,
        name: step.name,
        attempt,
        signal,
        timeoutMs: options.timeoutMs,
      });
      if (this.stepStopped(step)) return HALTED;
      if (outcome.ok) return this.checkpoint(step, attempt, outcome.value);
      // The attempt may have failed because the cancel or deadline aborted it.
      if (await this.stopsAtBoundary(step)) return HALTED;
      const terminal = terminalError(outcome.error, options.isTerminal);
      if (terminal) return this.checkpointFailure(step, attempt, terminal, errorMessage(outcome.error));
      policy ??= retryPolicy(options.retry);
      if (attempt >= policy.maxAttempts) return this.pauseExhausted(step, attempt, outcome.error);
      const delay = backoffMs(policy, attempt);
      if (!(await this.checkpointRetry(step, attempt, errorMessage(outcome.error), delay))) return HALTED;
      await abortableDelay(delay, signal);
      // A cancel or the deadline may have cut the wait short: no further attempt then.
      if (await this.stopsAtBoundary(step)) return HALTED;
    }
  }

  /** A step goes on only in the phase it belongs to: a body step while running, a compensation while compensating. */
  private stepStopped(step: StepInFlight): boolean {
    return this.phase.kind !== (step.mode.compensation ? "compensating" : "running");
  }

  /**
   * Cancel and deadline are observed at a body step's boundary, before new work: recorded as a
   * marker, so a replay stops at the same place. True when the body stops here.
   */
  private async stopsAtBoundary(step: StepInFlight): Promise<boolean> {
    if (!step.mode.boundary) return false;
    const by = this.phase.cancelRequested ? "cancel" : this.deadlinePassed() ? "deadline" : null;
    if (!by) return false;
    const marked = await recordMarker(this.hooks.db, {
      runId: this.id,
      epoch: this.epoch,
      sequence: step.sequence,
      name: by === "cancel" ? CANCELLED_MARKER : DEADLINE_MARKER,
      output: { before: step.name },
    });
    if (marked) this.apply({ kind: "interrupted", by });
    else this.noteLeaseLost("marker rejected");
    return true;
  }

  // ---- checkpoints: each a fenced write (the run is still ours at this epoch) -----------

  /** The step succeeded: its output, in one statement with the fence. */
  private async checkpoint<T>(step: StepInFlight, attempt: number, value: T): Promise<StepResult<T>> {
    const saved = await completeStep(this.hooks.db, {
      runId: this.id,
      epoch: this.epoch,
      sequence: step.sequence,
      name: step.name,
      attempts: attempt,
      output: value,
      startedAt: step.startedAt,
    });
    if (!this.accept(saved)) return HALTED;
    await this.stepEvent(step, "completed", attempt);
    return { kind: "ok", value };
  }

  /** The step failed terminally: recorded with its code and kind, so a replay rethrows the same error. */
  private async checkpointFailure(
    step: StepInFlight,
    attempt: number,
    error: TerminalError,
    message: string,
  ): Promise<StepResult<never>> {
    const saved = await saveStepAttempt(this.hooks.db, {
      ...this.stepKey(step),
      status: "failed",
      attempts: attempt,
      error: message,
      code: error.code,
      kind: error.kind,
    });
    if (!this.accept(saved)) return HALTED;
    await this.stepEvent(step, "failed", attempt, { error: message, outcome: "terminal" });
    return { kind: "terminal", error };
  }

  /** A transient failure: recorded, so the retry budget survives a crash. False when the step may not go on. */
  private async checkpointRetry(step: StepInFlight, attempt: number, message: string, delay: number): Promise<boolean> {
    const saved = await saveStepAttempt(this.hooks.db, {
      ...this.stepKey(step),
      status: "running",
      attempts: attempt,
      error: message,
    });
    if (!this.accept(saved)) return false;
    await this.stepEvent(step, "retrying", attempt, { error: message, retryInMs: delay });
    return true;
  }

  /** Out of retries: the run is paused with the step's error, for an operator to resume. */
  private async pauseExhausted(step: StepInFlight, attempt: number, error: unknown): Promise<StepResult<never>> {
    const message = errorMessage(error);
    const paused = await pauseRun(this.hooks.db, {
      runId: this.id,
      epoch: this.epoch,
      error: `step ${step.name} failed after ${attempt} attempt(s): ${message}`,
      code: errorCode(error),
      kind: "exhausted",
      step: { sequence: step.sequence, name: step.name, attempts: attempt, error: message, startedAt: step.startedAt },
    });
    if (!paused) {
      this.noteLeaseLost();
      return HALTED;
    }
    this.apply({ kind: "suspended", status: "paused" });
    await this.stepEvent(step, "failed", attempt, { error: message, outcome: "paused" });
    this.hooks.logger.warn(
      { runId: this.id, step: step.name, attempts: attempt, error: message },
      "workflow paused: retries exhausted",
    );
    return HALTED;
  }

  private stepKey(step: StepInFlight) {
    return { runId: this.id, epoch: this.epoch, sequence: step.sequence, name: step.name, startedAt: step.startedAt };
  }

  /** What a fenced write's answer means for the lifecycle; false when the step may not go on. */
  private accept(result: CheckpointResult): boolean {
    if (result.fenced) {
      this.noteLeaseLost("checkpoint rejected: the run has a newer owner epoch");
      return false;
    }
    if (result.cancelRequested) this.noteCancel();
    if (!result.saved) {
      // The row at this sequence holds another step or is already complete: the journal moved under us.
      this.apply({
        kind: "nondeterminism",
        error: new NondeterminismError(`checkpoint of run ${this.id} conflicted with a recorded step`),
      });
      return false;
    }
    return true;
  }

  // ---- durable sleep ---------------------------------------------------------------------

  private async sleep(name: string, ms: number): Promise<void> {
    if (this.phase.kind !== "running") return never();
    const sequence = this.nextSequence++;
    const stepName = `$sleep:${name}`;
    const replayed = replayStep<unknown>(this.journal.get(sequence), sequence, stepName);
    if (replayed.kind === "ok") return;
    if (replayed.kind === "stop") this.apply(replayed.event);
    if (replayed.kind !== "run") return never();
    const step: StepInFlight = { sequence, name: stepName, mode: SLEEP, startedAt: replayed.startedAt };
    const wakeAt = replayed.recorded
      ? new Date((replayed.recorded.output as { wakeAt: string }).wakeAt)
      : new Date(Date.now() + ms);
    if (await this.stopsAtBoundary(step)) return never();
    if (Date.now() >= wakeAt.getTime()) {
      const done = await this.checkpoint(step, 1, { wakeAt });
      return done.kind === "ok" ? undefined : never();
    }
    if (await sleepRun(this.hooks.db, { runId: this.id, epoch: this.epoch, sequence, name: stepName, wakeAt })) {
      this.apply({ kind: "suspended", status: "sleeping" });
      this.hooks.wakeAt(wakeAt);
      return never();
    }
    // Refused: either a cancel arrived just now (then cancel here) or the run is not ours.
    const run = await findRun(this.hooks.db, this.id);
    if (run && run.epoch === this.epoch && run.status === "running" && run.cancel_requested_at) {
      this.noteCancel();
      await this.stopsAtBoundary(step);
    } else {
      this.noteLeaseLost();
    }
    return never();
  }

  /**
   * Awaited, so what the hook records (deployment events) is in order with the steps: a step's
   * "started" before its body runs, "completed" before the next step. A failing hook is logged,
   * never the step's failure.
   */
  private async stepEvent(
    step: StepInFlight,
    type: StepEvent["type"],
    attempt: number,
    extra: Partial<StepEvent> = {},
  ): Promise<void> {
    if (!step.mode.events || !this.hooks.onStepEvent) return;
    const event: StepEvent = {
      type,
      runId: this.id,
      kind: this.run.kind,
      key: this.run.key,
      step: step.name,
      sequence: step.sequence,
      attempt,
      compensation: step.mode.compensation,
      ...extra,
    };
    try {
      await this.hooks.onStepEvent(event);
    } catch (error) {
      this.hooks.logger.warn({ runId: this.id, err: error }, "onStepEvent threw");
    }
  }
}

function appendErrors(message: string, errors: readonly string[]): string {
  return errors.length ? `${message}; ${errors.join("; ")}` : message;
}

/** Waits `ms`, or less if `signal` aborts first (never rejects: an abort just ends the wait early). */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return sleepUntilAborted(ms, undefined, { signal }).catch(() => undefined);
}
