import { PgListener, type Pool } from "@hydra/db";
import { ROUTE_CHANGE_COMMITTED, ROUTE_CHANGES_CHANNEL, ROUTE_STREAM_SEQUENCED_PREFIX } from "./sql/rows";

/**
 * What woke a route stream: a routing transaction committed a change that still needs its
 * position (`committed`: ask the sequencer for a round), or a sequencer round gave out
 * positions (`sequenced`: read them).
 */
export type RouteWakeup = "committed" | "sequenced";

/** Wakes route streams when a route change commits or is sequenced. */
export interface RouteWakeups {
  /** Calls `wake` after each notification (and `committed` after a lost connection); returns unsubscribe. */
  subscribe(wake: (why: RouteWakeup) => void): () => void;
}

/** One LISTEN connection per process, fanned out to every open WatchRoutes stream. */
export class RouteChangeWakeups implements RouteWakeups {
  private readonly listener: PgListener;
  private readonly waiters = new Set<(why: RouteWakeup) => void>();

  constructor(pool: Pool, onError?: (error: Error) => void) {
    const wakeAll = (why: RouteWakeup) => {
      for (const wake of this.waiters) wake(why);
    };
    this.listener = new PgListener({
      connection: pool.options,
      channel: ROUTE_CHANGES_CHANNEL,
      onPayload: (payload) => {
        if (payload === ROUTE_CHANGE_COMMITTED) wakeAll("committed");
        else if (payload.startsWith(ROUTE_STREAM_SEQUENCED_PREFIX)) wakeAll("sequenced");
      },
      // Notifications sent while disconnected are lost: every stream sequences and re-reads.
      onReconnect: () => wakeAll("committed"),
      onError,
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  subscribe(wake: (why: RouteWakeup) => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}
