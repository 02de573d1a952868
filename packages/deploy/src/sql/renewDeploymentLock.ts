import type { Queryable } from "@hydra/db";

/** Extends `owner`'s lease; false when it lost the lock (expired and taken, or released). */
export async function renewDeploymentLock(
  db: Queryable,
  deploymentId: string,
  owner: string,
  leaseMs: number,
): Promise<boolean> {
  const result = await db.query({
    name: "deploy_renewDeploymentLock",
    text: `UPDATE deployment_locks SET expires_at = now() + $3 * interval '1 millisecond'
           WHERE deployment_id = $1 AND owner = $2
           RETURNING deployment_id`,
    values: [deploymentId, owner, leaseMs],
  });
  return (result.rowCount ?? 0) > 0;
}
