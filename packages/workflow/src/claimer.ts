import type { Pool } from "@hydra/db";
import type { Logger, StepEvent, WorkflowDefinition } from "./define";
import { RunExecution } from "./execution";
import { claimPendingRuns } from "./sql/claimPendingRuns";
import { claimRun } from "./sql/claimRun";
import { renewLeases } from "./sql/renewLeases";
import type { Queryable, RunRow } from "./sql/rows";

export interface ClaimerOptions {
  pool: Pool;
  workerId: string;
  leaseMs: number;
  heartbeatMs: number;
  concurrency: number;
  logger: Logger;
  /** The kinds this instance runs (the engine's registry, read here). */
  definitions: ReadonlyMap<string, WorkflowDefinition>;
  onStepEvent?: (event: StepEvent) => void | Promise<void>;
  /** A sleeping run is due at `at` (the sweeper arms a timer for it). */
  wakeAt(at: Date): void;
  /** Where heartbeats go: the LISTEN connection when it is up, so a pool busy with step bodies cannot starve them. */
  heartbeatDb(): Queryable;
}

interface Held {
  execution: RunExecution;
  done: Promise<void>;
}

/**
 * The runs this instance claims and holds: up to `concurrency` executions at once, their
 * leases renewed by one heartbeat statement, handed back on stop. Claims are serialized; a pass
 * that found more work than free slots leaves a backlog, claimed again when a slot frees up.
 */
export class Claimer {
  private readonly active = new Map<string, Held>();
  /** Between start and stop: claims are taken. */
  private open = false;
  /** A claim pass found more work than free slots: claim again when a slot frees up. */
  private backlog = false;
  private claiming: Promise<void> | null = null;
  private claimAgain = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ClaimerOptions) {}

  start(): void {
    this.open = true;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs);
  }

  /** No more claims from now on (what is held keeps running until `drain`). */
  close(): void {
    this.open = false;
  }

  /** Lets in-flight runs finish for `graceMs`, then hands the rest back. */
  async drain(graceMs: number): Promise<void> {
    this.close();
    await this.claiming?.catch(() => {});
    const inFlight = [...this.active.values()].map((held) => held.done);
    await Promise.race([Promise.all(inFlight), delay(graceMs)]);
    const left = [...this.active.values()];
    await Promise.all(
      left.map(({ execution }) =>
        execution
          .handBack()
          .catch((error: unknown) =>
            this.options.logger.warn({ runId: execution.id, err: error }, "hand-back failed; the lease will lapse"),
          ),
      ),
    );
    // Let the handed-back executions unwind (their writes are fenced out now) before the caller
    // ends the pool; a step body that ignores its abort signal is not waited for.
    await Promise.race([Promise.all(left.map((held) => held.done)), delay(1_000)]);
    clearInterval(this.heartbeatTimer);
  }

  /** This instance runs `kind` and has a free slot now. */
  canClaim(kind: string): boolean {
    return this.open && this.options.definitions.has(kind) && this.freeSlots() > 0;
  }

  /** Settles when the run executing here (if any) ends. */
  doneOf(id: string): Promise<void> | undefined {
    return this.active.get(id)?.done;
  }

  noteCancel(id: string): void {
    this.active.get(id)?.execution.noteCancel();
  }

  /** Starts executing a run this instance has just claimed (`fresh`: created by this very claim). */
  launch(run: RunRow, fresh: boolean): void {
    const definition = this.options.definitions.get(run.kind);
    if (!definition) throw new Error(`claimed a run of unregistered kind ${run.kind}`);
    const { pool, logger, onStepEvent, wakeAt } = this.options;
    const execution = new RunExecution(run, definition, { db: pool, logger, onStepEvent, wakeAt }, fresh);
    const done = execution.execute().finally(() => {
      if (this.active.get(run.id)?.execution === execution) this.active.delete(run.id);
      if (this.backlog && this.open) void this.claimPending();
    });
    this.active.set(run.id, { execution, done });
  }

  /** A run was announced ready: claim it if there is a slot, else remember the backlog. */
  claimReady(id: string, kind: string): void {
    if (!this.open || !this.options.definitions.has(kind)) return;
    if (this.freeSlots() <= 0) {
      this.backlog = true;
      return;
    }
    const { pool, workerId, leaseMs, logger } = this.options;
    claimRun(pool, id, workerId, leaseMs, [kind]).then(
      (run) => run && this.launch(run, false),
      (error: unknown) => logger.warn({ runId: id, err: error }, "claiming a ready run failed"),
    );
  }

  /** Claims pending runs up to the free slots; serialized, with one more pass if asked meanwhile. */
  claimPending(): Promise<void> {
    if (this.claiming) {
      this.claimAgain = true;
      return this.claiming;
    }
    const { pool, workerId, leaseMs, definitions, logger } = this.options;
    this.claiming = (async () => {
      do {
        this.claimAgain = false;
        const free = this.freeSlots();
        if (!this.open || definitions.size === 0) return;
        if (free <= 0) {
          this.backlog = true;
          return;
        }
        const claimed = await claimPendingRuns(pool, workerId, leaseMs, [...definitions.keys()], free);
        this.backlog = claimed.length === free;
        for (const run of claimed) this.launch(run, false);
      } while (this.claimAgain);
    })()
      .catch((error: unknown) => logger.warn({ err: error }, "claiming pending runs failed"))
      .finally(() => (this.claiming = null));
    return this.claiming;
  }

  /** Executions writing their outcome already count as done: the outcome's notification can arrive before the write's reply. */
  private freeSlots(): number {
    let busy = 0;
    for (const { execution } of this.active.values()) if (!execution.windingDown) busy++;
    return this.options.concurrency - busy;
  }

  /** Renews every held lease in one statement; a run missing from the answer was reclaimed, and its execution stops. */
  private async heartbeat(): Promise<void> {
    const held = [...this.active.values()].map(({ execution }) => execution);
    if (held.length === 0) return;
    try {
      const renewed = await renewLeases(
        this.options.heartbeatDb(),
        held.map((e) => ({ id: e.id, epoch: e.epoch })),
        this.options.leaseMs,
      );
      const byId = new Map(renewed.map((r) => [r.id, r]));
      for (const execution of held) {
        const lease = byId.get(execution.id);
        if (this.active.get(execution.id)?.execution !== execution) continue; // ended meanwhile
        if (!lease) execution.noteLeaseLost();
        else if (lease.cancel_requested_at) execution.noteCancel();
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, "workflow heartbeat failed");
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
