import { deleteInBatches, type Pool, retentionCutoff } from "@hydra/db";
import { deleteFinishedRuns } from "@hydra/workflow";
import { deleteExpiredEvents } from "./sql/deleteExpiredEvents";
import { deleteExpiredInstances } from "./sql/deleteExpiredInstances";

export interface DeployRetentionCounts {
  workflowRuns: number;
  deploymentEvents: number;
  instances: number;
}

/**
 * deploy-svc's retention (HYDRA_RETENTION): runs that ended, events of finished deployments,
 * and instance rows of deployments that ended without running, all older than `retentionMs`.
 * Never an unfinished run (resumption), never a deployment row (idempotency keys of
 * CreateDeployment live there). 0 keeps everything.
 */
export async function deleteExpiredDeployData(
  pool: Pool,
  retentionMs: number,
  now = new Date(),
): Promise<DeployRetentionCounts> {
  const cutoff = retentionCutoff(retentionMs, now);
  if (!cutoff) return { workflowRuns: 0, deploymentEvents: 0, instances: 0 };
  return {
    workflowRuns: await deleteInBatches((limit) => deleteFinishedRuns(pool, cutoff, limit)),
    deploymentEvents: await deleteInBatches((limit) => deleteExpiredEvents(pool, cutoff, limit)),
    instances: await deleteInBatches((limit) => deleteExpiredInstances(pool, cutoff, limit)),
  };
}
