import type { Pool, PoolClient } from "@hydra/db";
import { beginSequencing } from "./sql/beginSequencing";
import { exportSnapshot } from "./sql/exportSnapshot";
import { importSnapshot } from "./sql/importSnapshot";
import { beginReadSnapshot } from "./sql/beginReadSnapshot";
import { sequenceRouteChanges } from "./sql/sequenceRouteChanges";

const ignore = (): void => {};

/**
 * Hands out the route stream's positions (sql/sequenceRouteChanges.ts), one per process.
 * Routing transactions only insert their change, unsequenced; the route streams of this
 * process ask for a round when a change committed (its NOTIFY), so rounds run only while
 * someone watches, and concurrent asks share one round.
 */
export class RouteSequencer {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private snapshotTurn: Promise<void> = Promise.resolve();

  constructor(private readonly pool: Pool) {}

  /**
   * Resolves once a round that started after this call committed: every change committed
   * before the call has its position. A round already running may have taken its snapshot
   * too early, so the call then waits for the next one, which every caller meanwhile shares.
   */
  catchUp(): Promise<void> {
    if (this.queued) return this.queued;
    if (!this.running) return this.start();
    this.queued = this.running.then(ignore, ignore).then(() => {
      this.queued = undefined;
      return this.start();
    });
    return this.queued;
  }

  /**
   * Begins a read-only transaction on `reader` that sees exactly the changes up to the returned
   * position: a round numbers every change committed in its snapshot, exports that snapshot,
   * `reader` imports it, and only then does the round commit (it holds the sequencer's lock for
   * those few statements, never for the reading). A snapshot start takes a second connection
   * for that moment; they take turns in this process, so they cannot starve the pool of it.
   */
  async beginSnapshotAtHead(reader: PoolClient): Promise<bigint> {
    const turn = this.snapshotTurn.then(() => this.exportSequencedSnapshot(reader));
    this.snapshotTurn = turn.then(ignore, ignore);
    return turn;
  }

  private start(): Promise<void> {
    const round = (async () => {
      try {
        await sequenceRouteChanges(this.pool);
      } finally {
        this.running = undefined;
      }
    })();
    this.running = round;
    return round;
  }

  private async exportSequencedSnapshot(reader: PoolClient): Promise<bigint> {
    const sequencing = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await beginSequencing(sequencing);
      const { head } = await sequenceRouteChanges(sequencing);
      const snapshotId = await exportSnapshot(sequencing);
      await beginReadSnapshot(reader);
      await importSnapshot(reader, snapshotId);
      // Only a committed round's positions exist: the reader's snapshot is at `head` from here on.
      await sequencing.query("COMMIT");
      return head;
    } catch (error) {
      broken = await sequencing.query("ROLLBACK").then(
        () => undefined,
        (rollbackError: Error) => rollbackError,
      );
      throw error;
    } finally {
      sequencing.release(broken);
    }
  }
}
