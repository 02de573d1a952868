import { PgListener, type Pool } from "@hydra/db";
import { ROUTE_CHANGES_CHANNEL } from "./sql/rows";

/** Wakes route streams when a route change commits. */
export interface RouteWakeups {
  /** Calls `wake` after each committed route change (and after a lost connection); returns unsubscribe. */
  subscribe(wake: () => void): () => void;
}

/** One LISTEN connection per process, fanned out to every open WatchRoutes stream. */
export class RouteChangeWakeups implements RouteWakeups {
  private readonly listener: PgListener;
  private readonly waiters = new Set<() => void>();

  constructor(pool: Pool, onError?: (error: Error) => void) {
    const wakeAll = () => {
      for (const wake of this.waiters) wake();
    };
    this.listener = new PgListener({
      connection: pool.options,
      channel: ROUTE_CHANGES_CHANNEL,
      onPayload: wakeAll,
      // Notifications sent while disconnected are lost: every stream re-reads.
      onReconnect: wakeAll,
      onError,
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  subscribe(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}
