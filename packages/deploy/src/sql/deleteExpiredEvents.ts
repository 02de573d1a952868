import type { Queryable } from "@hydra/db";

/**
 * Deletes up to `limit` step and status events older than `createdBefore` of deployments that
 * reached a terminal status (a deployment still in progress keeps all of its events), oldest
 * first. Returns how many were deleted.
 */
export async function deleteExpiredEvents(db: Queryable, createdBefore: Date, limit: number): Promise<number> {
  const result = await db.query({
    name: "deploy_deleteExpiredEvents",
    text: `DELETE FROM deployment_events WHERE id IN (
             SELECT e.id FROM deployment_events e JOIN deployments d ON d.id = e.deployment_id
              WHERE e.created_at < $1 AND d.status IN ('ready', 'failed', 'cancelled', 'superseded')
              ORDER BY e.id LIMIT $2)`,
    values: [createdBefore, limit],
  });
  return result.rowCount ?? 0;
}
