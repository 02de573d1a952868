import pg from "pg";
import type { Pool } from "@hydra/db";
import type { Logger } from "./define";
import { registerOwner } from "./sql/registerOwner";
import { unregisterOwner } from "./sql/unregisterOwner";

/** Another live session holds this owner's lock: the owner id is in use by a running process. */
export class OwnerIdInUseError extends Error {
  override name = "OwnerIdInUseError";
}

/**
 * This instance's liveness, visible to every other instance without a write: a session-level
 * advisory lock keyed by the owner id (sql/ownerLock.ts), held on a dedicated connection for the
 * engine's lifetime, and the owner's row in workflow_owners (the set sweepers watch).
 *
 * When the process dies, the kernel closes its socket and Postgres releases the lock at once;
 * sweepers that see the lock stay free reclaim its runs (sql/reclaimDeadOwners.ts) instead of
 * waiting for the lease. A process that is alive but paused (SIGSTOP, a GC pause) or cut off by
 * a partition keeps its socket open, so its lock stays held and lease semantics apply.
 *
 * A lost connection (a Postgres restart, a terminated backend) is retaken quickly — after
 * 50 ms, doubling up to a quarter of the grace — because other instances reclaim an owner whose lock stays free past
 * their grace period. `heldSince` tells the sweeper how long this instance has itself been
 * connected: after a restart of Postgres every lock is free at once, and a sweeper must first
 * give the others the same grace to come back (no takeover storm).
 */
export class OwnerSession {
  private client: pg.Client | null = null;
  private closed = true;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** When the lock was last (re)taken; null while it is not held. */
  heldSince: number | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly owner: string,
    private readonly logger: Logger,
    /** Well below the sweepers' grace, so an owner is back before anyone judges it dead. */
    private readonly retryMaxMs: number,
  ) {}

  /** Takes the lock and registers the owner; OwnerIdInUseError when another live session holds it. */
  async start(): Promise<void> {
    this.closed = false;
    if (!(await this.connect())) {
      this.closed = true;
      throw new OwnerIdInUseError(`workflow owner id ${this.owner} is in use by another live instance`);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.heldSince = null;
    await unregisterOwner(this.pool, this.owner).catch((error: unknown) =>
      this.logger.warn({ err: error }, "unregistering the workflow owner failed"),
    );
    await client?.end().catch(() => {});
  }

  /** True when the lock is held on a fresh connection; false when another session holds it. */
  private async connect(): Promise<boolean> {
    const client = new pg.Client(this.pool.options);
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, new Error("connection ended")));
    try {
      await client.connect();
      if (!(await registerOwner(client, this.owner)) || this.closed) {
        await client.end().catch(() => {});
        return false;
      }
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
    this.heldSince = Date.now();
    this.retryMs = RETRY_MIN_MS;
    return true;
  }

  private lost(client: pg.Client, error: Error): void {
    if (this.client !== client || this.closed) return;
    this.client = null;
    this.heldSince = null;
    this.logger.warn({ err: error, owner: this.owner }, "workflow owner session lost; retaking its lock");
    void client.end().catch(() => {});
    this.scheduleRetake();
  }

  private scheduleRetake(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.closed) return;
      this.connect().then(
        (held) => {
          // Still held by our own old backend, not yet seen dead by Postgres: try again shortly.
          if (!held && !this.closed) this.backOff(new Error("lock still held by another session"));
        },
        (error: unknown) => this.backOff(error),
      );
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private backOff(error: unknown): void {
    if (this.closed) return;
    this.logger.warn({ err: error, owner: this.owner }, "retaking the workflow owner lock failed; retrying");
    this.retryMs = Math.min(this.retryMs * 2, this.retryMaxMs);
    this.scheduleRetake();
  }
}

const RETRY_MIN_MS = 50;
