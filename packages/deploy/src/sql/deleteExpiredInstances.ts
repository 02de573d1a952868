import type { Queryable } from "@hydra/db";

/**
 * Deletes the instance rows of up to `limit` deployments that ended without running (failed,
 * cancelled, superseded) before `endedBefore`: their pods are gone, and nothing routes to them.
 * Instances of READY deployments (live, standby, behind a domain) are kept. Returns the rows deleted.
 */
export async function deleteExpiredInstances(db: Queryable, endedBefore: Date, limit: number): Promise<number> {
  const result = await db.query({
    name: "deploy_deleteExpiredInstances",
    text: `DELETE FROM instances WHERE deployment_id IN (
             SELECT d.id FROM deployments d
              WHERE d.status IN ('failed', 'cancelled', 'superseded') AND d.updated_at < $1
                AND EXISTS (SELECT 1 FROM instances i WHERE i.deployment_id = d.id)
              LIMIT $2)`,
    values: [endedBefore, limit],
  });
  return result.rowCount ?? 0;
}
