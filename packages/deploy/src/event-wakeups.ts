import { PgListener, type Pool } from "@hydra/db";
import type { Wakeups } from "./event-feed";
import { EVENTS_CHANNEL } from "./sql/rows";

/** Wakes deployment event streams from NOTIFYs on the events channel (one connection per process). */
export class DeploymentEventWakeups implements Wakeups {
  private readonly subscribers = new Map<string, Set<() => void>>();
  private readonly listener: PgListener;

  constructor(pool: Pool, onError?: (error: Error) => void) {
    this.listener = new PgListener({
      connection: pool.options,
      channel: EVENTS_CHANNEL,
      onPayload: (payload) => {
        try {
          const { deployment_id: id } = JSON.parse(payload) as { deployment_id: string };
          this.subscribers.get(id)?.forEach((wake) => wake());
        } catch {
          // Not ours to interpret; streams also poll.
        }
      },
      // Notifications were lost while disconnected: wake everyone to re-read.
      onReconnect: () => this.subscribers.forEach((set) => set.forEach((wake) => wake())),
      onError,
    });
  }

  start(): Promise<void> {
    return this.listener.start();
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  subscribe(deploymentId: string, wake: () => void): () => void {
    let set = this.subscribers.get(deploymentId);
    if (!set) this.subscribers.set(deploymentId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.subscribers.delete(deploymentId);
    };
  }
}
