import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pino from "pino";
import type { PgListener, Pool } from "@hydra/db";
import { Claimer } from "./claimer";
import type { Logger, StepEvent, WorkflowDefinition } from "./define";
import { WorkflowInputConflictError, WorkflowNotFoundError, type CancelKind } from "./errors";
import { inputHash } from "./hash";
import { workflowListener, type Notification } from "./listener";
import { OwnerSession } from "./owner-session";
import { ResultWaiters, resultDeadline, type ResultOptions, type RunOutcome } from "./result-waiters";
import { claimRun } from "./sql/claimRun";
import { createExclusiveRun } from "./sql/createExclusiveRun";
import { createRun, type CreateRunParams } from "./sql/createRun";
import { findRun } from "./sql/findRun";
import { listRuns, type RunFilter } from "./sql/listRuns";
import { listSteps } from "./sql/listSteps";
import { reclaimOwnRuns } from "./sql/reclaimOwnRuns";
import { requestCancel } from "./sql/requestCancel";
import { resumeRun } from "./sql/resumeRun";
import type { RunStatus } from "./sql/rows";
import { Sweeper } from "./sweeper";
import { runView, type RunView } from "./view";

export type { ResultOptions, RunOutcome } from "./result-waiters";

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
  /**
   * At most one run of this kind and key at a time: when one has not ended and nobody asked to
   * cancel it, no run is created and that one is returned (created false). For timers several
   * callers may arm at once (a deployment's standby).
   */
  exclusive?: boolean;
}

export interface StartedRun {
  id: string;
  /** False when the id already existed with the same kind, key and input. */
  created: boolean;
  status: RunStatus;
}

export interface CancelOptions {
  /** superseded: a newer run replaces this one (the run ends with that kind). Default cancelled. */
  kind?: CancelKind;
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

/**
 * One instance of the engine: the parts wired together. The claimer holds the runs executing
 * here (claimer.ts), the sweeper and its timers give runs back (sweeper.ts), result() callers
 * wait in result-waiters.ts; one LISTEN connection feeds them all, one owner session proves
 * this instance alive (owner-session.ts).
 */
class Engine implements WorkflowEngine {
  readonly workerId: string;
  private readonly pool: Pool;
  private readonly leaseMs: number;
  private readonly logger: Logger;
  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly listener: PgListener;
  /** This instance's liveness lock; null with deadOwnerPollMs 0. */
  private readonly session: OwnerSession | null;
  private readonly claimer: Claimer;
  private readonly sweeper: Sweeper;
  private readonly waiters: ResultWaiters;
  private running = false;

  constructor(options: EngineOptions) {
    this.pool = options.pool;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
    this.leaseMs = positive("leaseMs", options.leaseMs ?? DEFAULT_LEASE_MS);
    const heartbeatMs = positive("heartbeatMs", options.heartbeatMs ?? Math.floor(this.leaseMs / 3));
    const sweepMs = positive("sweepMs", options.sweepMs ?? Math.min(Math.floor(this.leaseMs / 2), 5_000));
    const concurrency = positive("concurrency", options.concurrency ?? 32);
    const logger = (this.logger =
      options.logger ?? pino({ name: "workflow", level: process.env.HYDRA_WORKFLOW_LOG_LEVEL ?? "warn" }));
    const deadOwnerPollMs = options.deadOwnerPollMs ?? DEFAULT_DEAD_OWNER_POLL_MS;
    if (!(Number.isFinite(deadOwnerPollMs) && deadOwnerPollMs >= 0))
      throw new RangeError(`deadOwnerPollMs must be ≥ 0, got ${deadOwnerPollMs}`);
    const deadOwnerGraceMs = positive("deadOwnerGraceMs", options.deadOwnerGraceMs ?? DEFAULT_DEAD_OWNER_GRACE_MS);
    this.session =
      deadOwnerPollMs > 0
        ? new OwnerSession(this.pool, this.workerId, logger, Math.max(20, Math.floor(deadOwnerGraceMs / 4)))
        : null;
    this.listener = workflowListener(
      this.pool,
      logger,
      (n) => this.onNotification(n),
      () => this.onReconnect(),
    );
    // Heartbeats and the liveness poll use the LISTEN connection while it is up.
    const ownConnection = () => this.listener.connection ?? this.pool;
    this.claimer = new Claimer({
      pool: this.pool,
      workerId: this.workerId,
      leaseMs: this.leaseMs,
      heartbeatMs,
      concurrency,
      logger,
      definitions: this.definitions,
      onStepEvent: options.onStepEvent,
      wakeAt: (at) => this.sweeper.scheduleWake(at),
      heartbeatDb: ownConnection,
    });
    this.sweeper = new Sweeper({
      pool: this.pool,
      workerId: this.workerId,
      sweepMs,
      logger,
      session: this.session,
      deadOwnerPollMs,
      deadOwnerGraceMs,
      claimPending: () => this.claimer.claimPending(),
      pollDb: ownConnection,
    });
    this.waiters = new ResultWaiters(this.pool);
  }

  register(definition: WorkflowDefinition<never, unknown>): WorkflowEngine {
    if (this.definitions.has(definition.kind)) throw new Error(`workflow ${definition.kind} is already registered`);
    this.definitions.set(definition.kind, definition as WorkflowDefinition);
    if (this.running) void this.claimer.claimPending();
    return this;
  }

  async start(): Promise<void> {
    if (this.running) return;
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
    this.claimer.start();
    await this.sweeper.start();
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.running) {
      await this.listener.stop();
      return;
    }
    this.claimer.close();
    await this.sweeper.stop();
    await this.claimer.drain(options.graceMs ?? 5_000);
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
    const params: CreateRunParams = {
      id,
      kind,
      key,
      input: request.input,
      inputHash: hash,
      owner: this.claimer.canClaim(kind) ? this.workerId : null,
      leaseMs: this.leaseMs,
      deadlineMs: request.deadlineMs ?? null,
    };
    const created = request.exclusive
      ? await createExclusiveRun(this.pool, params)
      : { run: await createRun(this.pool, params), active: null };
    if (created.active) return { id: created.active.id, created: false, status: created.active.status };
    if (created.run) {
      if (created.run.owner === this.workerId) this.claimer.launch(created.run, true);
      return { id, created: true, status: created.run.status };
    }
    const existing = await findRun(this.pool, id);
    if (!existing) throw new Error(`workflow run ${id} vanished while starting`);
    if (existing.kind !== kind) throw new WorkflowInputConflictError(id, `kind ${existing.kind}, not ${kind}`);
    if (existing.key !== key) throw new WorkflowInputConflictError(id, `key ${existing.key}, not ${key}`);
    if (existing.input_hash !== hash) throw new WorkflowInputConflictError(id, "a different input");
    if (existing.status === "pending" && this.claimer.canClaim(kind)) {
      const claimed = await claimRun(this.pool, id, this.workerId, this.leaseMs, [kind]);
      if (claimed) {
        this.claimer.launch(claimed, false);
        return { id, created: false, status: claimed.status };
      }
    }
    return { id, created: false, status: existing.status };
  }

  async result<O = unknown>(id: string, options: ResultOptions): Promise<RunOutcome<O>> {
    const deadline = resultDeadline(options);
    await this.listener.start();
    return this.waiters.wait<O>(id, deadline, options.settleOnPause ?? false, this.claimer.doneOf(id));
  }

  async cancel(id: string, reason: string, options: CancelOptions = {}): Promise<RunStatus> {
    const answer = await requestCancel(this.pool, id, reason, options.kind ?? "cancelled");
    if (!answer) throw new WorkflowNotFoundError(id);
    this.claimer.noteCancel(id);
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
    return this.sweeper.sweep();
  }

  private onNotification(n: Notification): void {
    switch (n.event) {
      case "ended":
        return this.waiters.ended(n.id);
      case "cancel":
        return this.claimer.noteCancel(n.id);
      case "ready":
        return this.claimer.claimReady(n.id, n.kind);
    }
  }

  private onReconnect(): void {
    this.waiters.recheckAll();
    if (this.running) void this.sweeper.sweep();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
