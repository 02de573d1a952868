import type { Pool } from "@hydra/db";
import type { Logger } from "./define";
import type { OwnerSession } from "./owner-session";
import { findDeadOwners } from "./sql/findDeadOwners";
import { nextWakeAt } from "./sql/nextWakeAt";
import { reclaimDeadOwners } from "./sql/reclaimDeadOwners";
import { reclaimExpiredLeases } from "./sql/reclaimExpiredLeases";
import type { Queryable } from "./sql/rows";
import { wakeDueRuns } from "./sql/wakeDueRuns";

export interface SweeperOptions {
  pool: Pool;
  workerId: string;
  sweepMs: number;
  logger: Logger;
  /** This instance's liveness lock; null when crash detection is off (dead owners then wait for their lease). */
  session: OwnerSession | null;
  deadOwnerPollMs: number;
  deadOwnerGraceMs: number;
  /** Claims pending runs (the claimer) after each sweep. */
  claimPending(): Promise<void>;
  /** Where the liveness poll runs: the LISTEN connection when it is up. */
  pollDb(): Queryable;
}

/**
 * The timers that give runs back: every `sweepMs` a sweep turns expired leases back to pending,
 * wakes due sleepers and claims what is pending; a timer armed for the earliest `wake_at` ends
 * sleeps on time; every `deadOwnerPollMs` the owner liveness poll reclaims the runs of crashed
 * owners in well under a second.
 */
export class Sweeper {
  /** Between start and stop: sweeps and polls run. */
  private open = false;
  private sweeping: Promise<void> | null = null;
  private sweepTimer: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTimerAt = Infinity;
  private livenessTimer: NodeJS.Timeout | undefined;
  private checkingOwners: Promise<void> | null = null;
  /** Owners seen with a free lock, and since when (this instance's clock). */
  private readonly suspects = new Map<string, number>();

  constructor(private readonly options: SweeperOptions) {}

  /** Arms the liveness poll and sweeps once (which arms the next sweep). */
  async start(): Promise<void> {
    this.open = true;
    if (this.options.session) {
      this.livenessTimer = setInterval(() => void this.checkOwners(), this.options.deadOwnerPollMs);
      this.livenessTimer.unref();
    }
    await this.sweep();
  }

  /** No more sweeps, polls or wake timers; waits for the ones in progress. */
  async stop(): Promise<void> {
    this.open = false;
    clearInterval(this.livenessTimer);
    await this.checkingOwners;
    clearTimeout(this.sweepTimer);
    clearTimeout(this.wakeTimer);
    this.wakeTimerAt = Infinity;
    await this.sweeping?.catch(() => {});
  }

  /** One sweep now (joined if one is in progress): reclaim expired leases, wake due timers, claim pending runs. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
      this.scheduleSweep();
    });
    return this.sweeping;
  }

  /** A timer is due at `at`: sweep then rather than at the next interval, so sleeps end on time. */
  scheduleWake(at: Date): void {
    const when = at.getTime();
    if (!this.open || when >= this.wakeTimerAt) return;
    // Later than the next periodic sweep: that sweep will arm the timer (and no setTimeout overflows).
    if (when - Date.now() >= this.options.sweepMs) return;
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

  private async sweepOnce(): Promise<void> {
    if (!this.open) return;
    const { pool, logger } = this.options;
    try {
      const reclaimed = await reclaimExpiredLeases(pool);
      if (reclaimed.length) logger.info({ runs: reclaimed.map((r) => r.id) }, "reclaimed expired workflow leases");
      await wakeDueRuns(pool);
      await this.options.claimPending();
      const next = await nextWakeAt(pool);
      if (next) this.scheduleWake(next);
    } catch (error) {
      logger.warn({ err: error }, "workflow sweep failed");
    }
  }

  private scheduleSweep(): void {
    clearTimeout(this.sweepTimer);
    if (!this.open) return;
    this.sweepTimer = setTimeout(() => void this.sweep(), this.options.sweepMs);
    this.sweepTimer.unref();
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
    const { session, deadOwnerGraceMs, workerId, pool, logger } = this.options;
    if (!this.open || !session) return;
    const now = Date.now();
    const heldSince = session.heldSince;
    // Our own session is new (or down): after a Postgres restart every lock is free at once.
    // Give the other owners the same grace to retake theirs before judging anyone.
    if (heldSince === null || now - heldSince < deadOwnerGraceMs) {
      this.suspects.clear();
      return;
    }
    try {
      const free = new Set(await findDeadOwners(this.options.pollDb(), workerId));
      for (const owner of this.suspects.keys()) if (!free.has(owner)) this.suspects.delete(owner);
      const due: string[] = [];
      for (const owner of free) {
        const since = this.suspects.get(owner);
        if (since === undefined) this.suspects.set(owner, now);
        else if (now - since >= deadOwnerGraceMs) due.push(owner);
      }
      if (due.length === 0) return;
      const reclaimed = await reclaimDeadOwners(pool, due);
      for (const owner of due) this.suspects.delete(owner);
      if (reclaimed.length)
        logger.info({ runs: reclaimed.map((r) => r.id), owners: due }, "reclaimed the runs of dead workflow owners");
    } catch (error) {
      logger.warn({ err: error }, "checking workflow owners failed");
    }
  }
}
