import type { Queryable } from "@hydra/db";

/**
 * Takes the lease on a deployment's lock for `owner` when it is free or expired (or already
 * this owner's). True when `owner` holds it now.
 */
export async function acquireDeploymentLock(
  db: Queryable,
  deploymentId: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const result = await db.query({
    name: "deploy_acquireDeploymentLock",
    text: `INSERT INTO deployment_locks (deployment_id, owner, expires_at)
           VALUES ($1, $2, now() + $3 * interval '1 millisecond')
           ON CONFLICT (deployment_id) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
           WHERE deployment_locks.expires_at < now() OR deployment_locks.owner = EXCLUDED.owner
           RETURNING deployment_id`,
    values: [deploymentId, owner, leaseMs],
  });
  return (result.rowCount ?? 0) > 0;
}
