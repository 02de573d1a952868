import type { Pool } from "@hydra/db";

/**
 * Runs `fn` holding a session advisory lock on one deployment, so scaling it down (standby)
 * and scaling it up (wake for a rollback or promote) never interleave. Bounded wait.
 */
export async function withDeploymentLock<T>(pool: Pool, deploymentId: string, fn: () => Promise<T>, waitMs = 30_000): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
    await client.query("SELECT pg_advisory_lock(hashtextextended($1, 7130))", [`deployment:${deploymentId}`]);
    try {
      return await fn();
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 7130))", [`deployment:${deploymentId}`]).catch((error: Error) => {
        broken = error;
      });
    }
  } finally {
    await client.query("RESET lock_timeout").catch((error: Error) => {
      broken ??= error;
    });
    // A connection that may still hold the lock is closed, not returned to the pool.
    client.release(broken);
  }
}

export async function isCancelRequested(pool: Pool, runId: string): Promise<boolean> {
  const result = await pool.query({
    name: "deploy_isCancelRequested",
    text: "SELECT 1 FROM workflow_runs WHERE id = $1 AND cancel_requested_at IS NOT NULL",
    values: [runId],
  });
  return (result.rowCount ?? 0) > 0;
}

export async function findDesiredState(pool: Pool, deploymentId: string): Promise<{ desiredState: string; projectId: string } | null> {
  const result = await pool.query<{ desired_state: string; project_id: string }>({
    name: "deploy_findDesiredState",
    text: "SELECT desired_state, project_id FROM deployments WHERE id = $1",
    values: [deploymentId],
  });
  const row = result.rows[0];
  return row ? { desiredState: row.desired_state, projectId: row.project_id } : null;
}
