import type { Pool } from "@hydra/db";
import { findDeployment } from "./sql/findDeployment";
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

async function runIsActive(pool: Pool, runId: string): Promise<boolean> {
  const result = await pool.query({
    name: "deploy_runIsActive",
    text: "SELECT 1 FROM workflow_runs WHERE id = $1 AND status NOT IN ('completed', 'failed', 'cancelled', 'paused')",
    values: [runId],
  });
  return (result.rowCount ?? 0) > 0;
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
      // Terminal means the status is final and the Deploy run has ended too (update-live and
      // schedule-standby come after READY).
      const terminal =
        deployment !== null &&
        TERMINAL_DEPLOYMENT_STATUSES.includes(deployment.status) &&
        !(deployment.workflow_id && (await runIsActive(pool, deployment.workflow_id)));
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
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pollMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          pending = undefined;
          resolve();
        }
        pending = done;
        signal.addEventListener("abort", done);
      });
    }
  } finally {
    unsubscribe();
  }
}
