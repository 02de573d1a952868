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
