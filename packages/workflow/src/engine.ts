import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pino from "pino";
import type { PgListener, Pool } from "@hydra/db";
import type { Logger, StepEvent, WorkflowDefinition } from "./define";
import type { ErrorCode } from "@hydra/db/errors";
import {
  WorkflowInputConflictError,
  WorkflowNotFoundError,
  WorkflowTimeoutError,
  type CancelKind,
  type FailureKind,
} from "./errors";
import { RunExecution } from "./execution";
import { inputHash } from "./hash";
import { workflowListener, type Notification } from "./listener";
import { OwnerSession } from "./owner-session";
import { claimPendingRuns } from "./sql/claimPendingRuns";
import { claimRun } from "./sql/claimRun";
import { createRun } from "./sql/createRun";
import { findRun } from "./sql/findRun";
import { listRuns, type RunFilter } from "./sql/listRuns";
import { findDeadOwners } from "./sql/findDeadOwners";
import { listSteps } from "./sql/listSteps";
import { nextWakeAt } from "./sql/nextWakeAt";
import { reclaimDeadOwners } from "./sql/reclaimDeadOwners";
import { reclaimExpiredLeases } from "./sql/reclaimExpiredLeases";
import { reclaimOwnRuns } from "./sql/reclaimOwnRuns";
import { renewLeases } from "./sql/renewLeases";
import { requestCancel } from "./sql/requestCancel";
import { resumeRun } from "./sql/resumeRun";
import { TERMINAL_STATUSES, type RunRow, type RunStatus } from "./sql/rows";
import { wakeDueRuns } from "./sql/wakeDueRuns";
import { runView, type RunView } from "./view";

export interface EngineOptions {
  pool: Pool;
  /** Names this instance as a lease owner. Default: host:pid:random. */
  workerId?: string;
  /** How long a claim lasts without a heartbeat. Default 15 s. */
  leaseMs?: number;
  /** Default leaseMs / 3. */
  heartbeatMs?: number;
  /** How often the sweeper looks for expired leases and due timers. Default min(leaseMs / 2, 5 s): a dead owner's run resumes within 1.5 × leaseMs. */
  sweepMs?: number;
  /**
   * Crash recovery faster than the lease: how often this instance polls for owners whose
   * session lock is free (a tiny query on pg_locks). Default 100 ms; 0 turns it off (no owner
   * session: a dead owner's runs wait for their lease).
   */
  deadOwnerPollMs?: number;
  /**
   * How long an owner's lock must stay free (and this instance's own session must have been
   * up) before its runs are reclaimed: covers an owner retaking its lock after a dropped
   * connection or a Postgres restart. Default 300 ms.
   */
  deadOwnerGraceMs?: number;
  /** Runs executed at once by this instance. Default 32. */
  concurrency?: number;
  logger?: Logger;
  /** Live step executions (not replays): started, completed, retrying, failed. Awaited: keep it fast. */
  onStepEvent?: (event: StepEvent) => void | Promise<void>;
}

export interface StartRunRequest<I> {
  kind: string;
  /** The caller's idempotency key: the same id and input give the same run. */
  id: string;
  /** Grouping key (the project id for deploys). */
  key: string;
  input: I;
  /** The run fails (after its compensations) if it has not ended this long after it was created. */
  deadlineMs?: number;
}

export interface StartedRun {
  id: string;
  /** False when the id already existed with the same kind, key and input. */
  created: boolean;
  status: RunStatus;
}

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

export interface CancelOptions {
  /** superseded: a newer run replaces this one (the run ends with that kind). Default cancelled. */
  kind?: CancelKind;
}

export interface ResultOptions {
  deadline?: Date;
  timeoutMs?: number;
  /** Also settle when the run pauses (retries exhausted) instead of waiting for an operator. */
  settleOnPause?: boolean;
}

export interface StopOptions {
  /** How long in-flight runs may take to finish before they are handed back. Default 5 s. */
  graceMs?: number;
}

export interface WorkflowEngine {
  readonly workerId: string;
  register(definition: WorkflowDefinition<never, unknown>): WorkflowEngine;
  /** LISTEN, sweeper, heartbeats; claims pending runs of the registered kinds. */
  start(): Promise<void>;
  /** Stops claiming, lets in-flight runs finish for graceMs, hands the rest back. Does not end the pool. */
  stop(options?: StopOptions): Promise<void>;
  startRun<I>(request: StartRunRequest<I>): Promise<StartedRun>;
  /** Waits (notified, not polled) until the run ends; WorkflowTimeoutError at the deadline. */
  result<O = unknown>(id: string, options: ResultOptions): Promise<RunOutcome<O>>;
  /** Requests cancellation; returns the status right after (cancelled at once if it never started). */
  cancel(id: string, reason: string, options?: CancelOptions): Promise<RunStatus>;
  /** Resumes a paused run; false when it was not paused. */
  resume(id: string): Promise<boolean>;
  get(id: string): Promise<RunView | null>;
  /** Runs by status, kind and key, newest first, without their steps (e.g. `{ status: ["paused"] }`). */
  list(filter?: RunFilter): Promise<RunView[]>;
  /** One sweep now: reclaim expired leases, wake due timers, claim pending runs. */
  sweep(): Promise<void>;
}

export function createEngine(options: EngineOptions): WorkflowEngine {
  return new Engine(options);
}

const DEFAULT_LEASE_MS = 15_000;
const DEFAULT_DEAD_OWNER_POLL_MS = 100;
const DEFAULT_DEAD_OWNER_GRACE_MS = 300;

class Engine implements WorkflowEngine {
  readonly workerId: string;
  private readonly pool: Pool;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly sweepMs: number;
  private readonly concurrency: number;
  private readonly logger: Logger;
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly active = new Map<string, { execution: RunExecution; done: Promise<void> }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listener: PgListener;
  private running = false;
  private stopping = false;
  /** A claim pass found more work than free slots: claim again when a slot frees up. */
  private backlog = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private sweeping: Promise<void> | null = null;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTimerAt = Infinity;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** This instance's liveness lock; null with deadOwnerPollMs 0. */
  private readonly session: OwnerSession | null;
  private readonly deadOwnerPollMs: number;
  private readonly deadOwnerGraceMs: number;
  /** Owners seen with a free lock, and since when (this instance's clock). */
  private readonly suspects = new Map<string, number>();
  private livenessTimer: NodeJS.Timeout | undefined;
  private checkingOwners: Promise<void> | null = null;

  constructor(private readonly options: EngineOptions) {
    this.pool = options.pool;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.leaseMs = positive("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
    this.heartbeatMs = positive("heartbeatMs", options.heartbeatMs ?? Math.floor(this.leaseMs / 3));
    this.sweepMs = positive("sweepMs", options.sweepMs ?? Math.min(Math.floor(this.leaseMs / 2), 5_000));
    this.concurrency = positive("concurrency", options.concurrency ?? 32);
    this.logger = options.logger ?? pino({ name: "workflow", level: process.env.HYDRA_WORKFLOW_LOG_LEVEL ?? "warn" });
    this.deadOwnerPollMs = options.deadOwnerPollMs ?? DEFAULT_DEAD_OWNER_POLL_MS;
    if (!(Number.isFinite(this.deadOwnerPollMs) && this.deadOwnerPollMs >= 0))
      throw new RangeError(`deadOwnerPollMs must be ≥ 0, got ${this.deadOwnerPollMs}`);
    this.deadOwnerGraceMs = positive("deadOwnerGraceMs", options.deadOwnerGraceMs ?? DEFAULT_DEAD_OWNER_GRACE_MS);
    this.session =
      this.deadOwnerPollMs > 0
        ? new OwnerSession(this.pool, this.workerId, this.logger, Math.max(20, Math.floor(this.deadOwnerGraceMs / 4)))
        : null;
    this.listener = workflowListener(
      this.pool,
      this.logger,
      (n) => this.onNotification(n),
      () => this.onReconnect(),
    );
  }

  register(definition: WorkflowDefinition<never, unknown>): WorkflowEngine {
    if (this.definitions.has(definition.kind)) throw new Error(`workflow ${definition.kind} is already registered`);
    this.definitions.set(definition.kind, definition as WorkflowDefinition);
    if (this.running) void this.claimPending();
    return this;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    await this.listener.start();
    if (this.session) {
      await this.session.start().catch(async (error: unknown) => {
        await this.listener.stop();
        throw error;
      });
      // We hold our lock, so no other live process has our id: runs still marked ours are a
      // previous incarnation's (a restart with a stable workerId). Resume them now.
      const own = await reclaimOwnRuns(this.pool, this.workerId);
      if (own.length)
        this.logger.info({ runs: own.map((r) => r.id) }, "resuming the runs of this owner's previous incarnation");
    }
    this.running = true;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    if (this.session) {
      this.livenessTimer = setInterval(() => void this.checkOwners(), this.deadOwnerPollMs);
      this.livenessTimer.unref();
    }
    await this.sweep();
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.running) {
      await this.listener.stop();
      return;
    }
    this.stopping = true;
    clearInterval(this.livenessTimer);
    await this.checkingOwners;
    clearTimeout(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    this.wakeTimerAt = Infinity;
    await this.sweeping?.catch(() => {});
    await this.claiming?.catch(() => {});
    const graceMs = options.graceMs ?? 5_000;
    const inFlight = [...this.active.values()].map((a) => a.done);
    await Promise.race([Promise.all(inFlight), delay(graceMs)]);
    const left = [...this.active.values()];
    await Promise.all(
      left.map(({ execution }) =>
        execution
          .handBack()
          .catch((error: unknown) =>
            this.logger.warn({ runId: execution.id, err: error }, "hand-back failed; the lease will lapse"),
          ),
      ),
    );
    // Let the handed-back executions unwind (their writes are fenced out now) before the caller
    // ends the pool; a step body that ignores its abort signal is not waited for.
    await Promise.race([Promise.all(left.map((a) => a.done)), delay(1_000)]);
    clearInterval(this.heartbeatTimer);
    this.running = false;
    // After the hand-back: nothing of ours is left running, so leaving the watched set is safe.
    await this.session?.stop();
    // Pending result() waiters are no longer notified; each ends at its own deadline.
    await this.listener.stop();
  }

  async startRun<I>(request: StartRunRequest<I>): Promise<StartedRun> {
    const { kind, id, key } = request;
    for (const [field, value] of Object.entries({ kind, id, key })) {
      if (typeof value !== "string" || value.length === 0 || value.length > 200) {
        throw new TypeError(`startRun: ${field} must be a non-empty string of at most 200 characters`);
      }
    }
    if (request.deadlineMs !== undefined && !(Number.isInteger(request.deadlineMs) && request.deadlineMs > 0)) {
      throw new RangeError(`startRun: deadlineMs must be a positive integer, got ${request.deadlineMs}`);
    }
    const hash = inputHash(request.input);
    const claimHere = this.canClaim(kind);
    const created = await createRun(this.pool, {
      id,
      kind,
      key,
      input: request.input,
      inputHash: hash,
      owner: claimHere ? this.workerId : null,
      leaseMs: this.leaseMs,
      deadlineMs: request.deadlineMs ?? null,
    });
    if (created) {
      if (created.owner === this.workerId) this.launch(created, true);
      return { id, created: true, status: created.status };
    }
    const existing = await findRun(this.pool, id);
    if (!existing) throw new Error(`workflow run ${id} vanished while starting`);
    if (existing.kind !== kind) throw new WorkflowInputConflictError(id, `kind ${existing.kind}, not ${kind}`);
    if (existing.key !== key) throw new WorkflowInputConflictError(id, `key ${existing.key}, not ${key}`);
    if (existing.input_hash !== hash) throw new WorkflowInputConflictError(id, "a different input");
    if (existing.status === "pending" && this.canClaim(kind)) {
      const claimed = await claimRun(this.pool, id, this.workerId, this.leaseMs, [kind]);
      if (claimed) {
        this.launch(claimed, false);
        return { id, created: false, status: claimed.status };
      }
    }
    return { id, created: false, status: existing.status };
  }

  async result<O = unknown>(id: string, options: ResultOptions): Promise<RunOutcome<O>> {
    const deadline =
      options.deadline?.getTime() ?? (options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : undefined);
    if (deadline === undefined) throw new TypeError("result: a deadline or timeoutMs is required");
    await this.listener.start();
    return new Promise<RunOutcome<O>>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const checks = this.waiters.get(id);
        checks?.delete(check);
        if (checks?.size === 0) this.waiters.delete(id);
        settle();
      };
      const check = () => {
        if (settled) return;
        findRun(this.pool, id).then(
          (run) => {
            if (!run) return finish(() => reject(new WorkflowNotFoundError(id)));
            const outcome = outcomeOf<O>(run, options.settleOnPause ?? false);
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
      let checks = this.waiters.get(id);
      if (!checks) this.waiters.set(id, (checks = new Set()));
      checks.add(check);
      // A run executing here is read once it ends; any other is read now (then on each notification).
      const local = this.active.get(id);
      if (local) void local.done.then(check);
      else check();
    });
  }

  async cancel(id: string, reason: string, options: CancelOptions = {}): Promise<RunStatus> {
    const answer = await requestCancel(this.pool, id, reason, options.kind ?? "cancelled");
    if (!answer) throw new WorkflowNotFoundError(id);
    this.active.get(id)?.execution.noteCancel();
    return answer.current;
  }

  async resume(id: string): Promise<boolean> {
    if (await resumeRun(this.pool, id)) return true;
    if (!(await findRun(this.pool, id))) throw new WorkflowNotFoundError(id);
    return false;
  }

  async get(id: string): Promise<RunView | null> {
    const run = await findRun(this.pool, id);
    if (!run) return null;
    return runView(run, await listSteps(this.pool, id));
  }

  async list(filter: RunFilter = {}): Promise<RunView[]> {
    return (await listRuns(this.pool, filter)).map((run) => runView(run, []));
  }

  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
      this.scheduleSweep();
    });
    return this.sweeping;
  }

  // ---- internals ------------------------------------------------------------------------

  private canClaim(kind: string): boolean {
    return this.running && !this.stopping && this.definitions.has(kind) && this.freeSlots() > 0;
  }

  /** Executions writing their outcome already count as done: the outcome's notification can arrive before the write's reply. */
  private freeSlots(): number {
    let busy = 0;
    for (const { execution } of this.active.values()) if (!execution.windingDown) busy++;
    return this.concurrency - busy;
  }

  private launch(run: RunRow, fresh: boolean): void {
    const definition = this.definitions.get(run.kind);
    if (!definition) throw new Error(`claimed a run of unregistered kind ${run.kind}`);
    const execution = new RunExecution(
      run,
      definition,
      {
        db: this.pool,
        logger: this.logger,
        onStepEvent: this.options.onStepEvent,
        wakeAt: (at) => this.scheduleWake(at),
      },
      fresh,
    );
    const done = execution.execute().finally(() => {
      if (this.active.get(run.id)?.execution === execution) this.active.delete(run.id);
      if (this.backlog && this.running && !this.stopping) void this.claimPending();
    });
    this.active.set(run.id, { execution, done });
  }

  /** Claims pending runs up to the free slots; serialized, with one more pass if asked meanwhile. */
  private claimPending(): Promise<void> {
    if (this.claiming) {
      this.claimAgain = true;
      return this.claiming;
    }
    this.claiming = (async () => {
      do {
        this.claimAgain = false;
        const free = this.freeSlots();
        if (!this.running || this.stopping || this.definitions.size === 0) return;
        if (free <= 0) {
          this.backlog = true;
          return;
        }
        const claimed = await claimPendingRuns(
          this.pool,
          this.workerId,
          this.leaseMs,
          [...this.definitions.keys()],
          free,
        );
        this.backlog = claimed.length === free;
        for (const run of claimed) this.launch(run, false);
      } while (this.claimAgain);
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, "claiming pending runs failed"))
      .finally(() => (this.claiming = null));
    return this.claiming;
  }

  private async sweepOnce(): Promise<void> {
    if (!this.running || this.stopping) return;
    try {
      const reclaimed = await reclaimExpiredLeases(this.pool);
      if (reclaimed.length) this.logger.info({ runs: reclaimed.map((r) => r.id) }, "reclaimed expired workflow leases");
      await wakeDueRuns(this.pool);
      await this.claimPending();
      const next = await nextWakeAt(this.pool);
      if (next) this.scheduleWake(next);
    } catch (error) {
      this.logger.warn({ err: error }, "workflow sweep failed");
    }
  }

  /**
   * Crash recovery in well under a second (sql/reclaimDeadOwners.ts): owners whose session
   * lock stays free for deadOwnerGraceMs are dead, and their runs are reclaimed through the same
   * epoch bump as an expired lease. Safety never depends on this judgement: a wrongly judged
   * owner (alive, its connection dropped for longer than the grace) is fenced out at its next
   * checkpoint or heartbeat exactly like an owner whose lease lapsed — every checkpoint is
   * written only where the epoch is still the one it claimed, under a row lock that a reclaim's
   * epoch bump takes exclusively, so no two owners of a run ever both checkpoint.
   */
  private checkOwners(): Promise<void> {
    this.checkingOwners ??= this.checkOwnersOnce().finally(() => (this.checkingOwners = null));
    return this.checkingOwners;
  }

  private async checkOwnersOnce(): Promise<void> {
    if (!this.running || this.stopping || !this.session) return;
    const now = Date.now();
    const heldSince = this.session.heldSince;
    // Our own session is new (or down): after a Postgres restart every lock is free at once.
    // Give the other owners the same grace to retake theirs before judging anyone.
    if (heldSince === null || now - heldSince < this.deadOwnerGraceMs) {
      this.suspects.clear();
      return;
    }
    try {
      const free = new Set(await findDeadOwners(this.listener.connection ?? this.pool, this.workerId));
      for (const owner of this.suspects.keys()) if (!free.has(owner)) this.suspects.delete(owner);
      const due: string[] = [];
      for (const owner of free) {
        const since = this.suspects.get(owner);
        if (since === undefined) this.suspects.set(owner, now);
        else if (now - since >= this.deadOwnerGraceMs) due.push(owner);
      }
      if (due.length === 0) return;
      const reclaimed = await reclaimDeadOwners(this.pool, due);
      for (const owner of due) this.suspects.delete(owner);
      if (reclaimed.length)
        this.logger.info(
          { runs: reclaimed.map((r) => r.id), owners: due },
          "reclaimed the runs of dead workflow owners",
        );
    } catch (error) {
      this.logger.warn({ err: error }, "checking workflow owners failed");
    }
  }

  private scheduleSweep(): void {
    clearTimeout(this.sweepTimer);
    if (!this.running || this.stopping) return;
    this.sweepTimer = setTimeout(() => void this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
  }

  /** A timer is due at `at`: sweep then rather than at the next interval, so sleeps end on time. */
  private scheduleWake(at: Date): void {
    const when = at.getTime();
    if (!this.running || this.stopping || when >= this.wakeTimerAt) return;
    // Later than the next periodic sweep: that sweep will arm the timer (and no setTimeout overflows).
    if (when - Date.now() >= this.sweepMs) return;
    clearTimeout(this.wakeTimer);
    this.wakeTimerAt = when;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimerAt = Infinity;
        void this.sweep().then(() => {
          // A sweep already in progress may have read the clock just before `at`.
          if (Date.now() >= when) void this.sweep();
        });
      },
      Math.max(0, when - Date.now()) + 2,
    );
    this.wakeTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    const held = [...this.active.values()].map(({ execution }) => execution);
    if (held.length === 0) return;
    try {
      const db = this.listener.connection ?? this.pool;
      const renewed = await renewLeases(
        db,
        held.map((e) => ({ id: e.id, epoch: e.epoch })),
        this.leaseMs,
      );
      const byId = new Map(renewed.map((r) => [r.id, r]));
      for (const execution of held) {
        const lease = byId.get(execution.id);
        if (this.active.get(execution.id)?.execution !== execution) continue; // ended meanwhile
        if (!lease) execution.noteLeaseLost();
        else if (lease.cancel_requested_at) execution.noteCancel();
      }
    } catch (error) {
      this.logger.warn({ err: error }, "workflow heartbeat failed");
    }
  }

  private onNotification(n: Notification): void {
    switch (n.event) {
      case "ended":
        for (const check of this.waiters.get(n.id) ?? []) check();
        return;
      case "cancel":
        this.active.get(n.id)?.execution.noteCancel();
        return;
      case "ready":
        if (!this.running || this.stopping || !this.definitions.has(n.kind)) return;
        if (this.freeSlots() <= 0) {
          this.backlog = true;
          return;
        }
        claimRun(this.pool, n.id, this.workerId, this.leaseMs, [n.kind]).then(
          (run) => run && this.launch(run, false),
          (error: unknown) => this.logger.warn({ runId: n.id, err: error }, "claiming a ready run failed"),
        );
    }
  }

  private onReconnect(): void {
    for (const checks of this.waiters.values()) for (const check of checks) check();
    if (this.running) void this.sweep();
  }
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

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
