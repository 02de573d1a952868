import { setTimeout as sleepUntilAborted } from "node:timers/promises";
import type { Pool } from "@hydra/db";
import { findDeployment } from "./sql/findDeployment";
import { findRunStatus } from "./sql/findRunStatus";
import { listDeploymentEvents } from "./sql/listDeploymentEvents";
import { TERMINAL_DEPLOYMENT_STATUSES, type DeploymentEventRow } from "./sql/rows";

/**
 * A deployment's events as a stream: everything after `afterEventId`, then each new event
 * as it is written, ending once the deployment is terminal and every event is delivered.
 * Resumable: pass the last event id seen. New events wake the stream through `wakeups`
 * (LISTEN/NOTIFY); a slow poll covers notifications lost while a connection was down.
 */
export interface Wakeups {
  /** Calls `wake` when an event of `deploymentId` may have been written; returns unsubscribe. */
  subscribe(deploymentId: string, wake: () => void): () => void;
}

export interface EventFeedOptions {
  /** Safety net when no wake-up arrives. */
  pollMs?: number;
}

export async function* deploymentEvents(
  pool: Pool,
  wakeups: Wakeups,
  deploymentId: string,
  afterEventId: bigint,
  signal: AbortSignal,
  options: EventFeedOptions = {},
): AsyncGenerator<DeploymentEventRow> {
  const pollMs = options.pollMs ?? 1_000;
  let after = afterEventId;
  let pending: (() => void) | undefined;
  let woken = false;
  const unsubscribe = wakeups.subscribe(deploymentId, () => {
    woken = true;
    pending?.();
  });
  try {
    while (!signal.aborted) {
      woken = false;
      // Read the status before the events: events written before a terminal status are then
      // certainly in the batch read after it.
      const deployment = await findDeployment(pool, deploymentId);
      const run = deployment?.workflow_id ? await findRunStatus(pool, deployment.workflow_id) : null;
      // The stream ends when the status is final and the Deploy run has ended too (update-live
      // and schedule-standby come after READY), or when the run is paused: it waits for an
      // operator, and a watcher can resume from its last event id after `resume`.
      const terminal =
        deployment !== null &&
        (run === "paused" ||
          (TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status) &&
            (run === null || ["completed", "failed", "cancelled"].includes(run))));
      let batch: DeploymentEventRow[];
      do {
        batch = await listDeploymentEvents(pool, deploymentId, after);
        for (const event of batch) {
          after = event.id;
          yield event;
        }
      } while (batch.length > 0 && !signal.aborted);
      if (terminal || deployment === null) return;
      if (woken) continue;
      // Until the poll interval, the caller's abort, or a notification (pending), whichever is first.
      const notified = new AbortController();
      pending = () => notified.abort();
      await sleepUntilAborted(pollMs, undefined, { signal: AbortSignal.any([signal, notified.signal]) }).catch(
        () => undefined,
      );
      pending = undefined;
    }
  } finally {
    unsubscribe();
  }
}
