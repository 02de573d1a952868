import { PgListener, type Pool } from "@hydra/db";
import type { Logger } from "./define";
import { CHANNEL, type NotifyEvent } from "./sql/rows";

export interface Notification {
  event: NotifyEvent;
  id: string;
  kind: string;
}

/**
 * The engine's LISTEN connection on the workflow channel (@hydra/db's PgListener: dedicated,
 * reconnecting; `onReconnect` re-reads state because notifications sent meanwhile are lost).
 * Heartbeats and the owner liveness poll run on its connection too.
 */
export function workflowListener(
  pool: Pool,
  logger: Logger,
  onNotification: (n: Notification) => void,
  onReconnect: () => void,
): PgListener {
  return new PgListener({
    connection: pool.options,
    channel: CHANNEL,
    onPayload: (payload) => {
      try {
        onNotification(JSON.parse(payload) as Notification);
      } catch (error) {
        logger.warn({ err: error, payload }, "bad workflow notification");
      }
    },
    onReconnect,
    onError: (error) => logger.warn({ err: error }, "workflow listener lost its connection; reconnecting"),
  });
}
