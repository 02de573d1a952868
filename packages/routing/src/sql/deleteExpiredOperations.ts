import type { Queryable } from "@hydra/db";

/**
 * Deletes up to `limit` recorded routing operations created before `createdBefore`, oldest
 * first, except each project's newest one. An operation is the stored answer to its
 * idempotency key: once deleted, a call repeating the key is executed again, so the retention
 * must outlast every caller's retry window (see README, HYDRA_ROUTING_OPERATIONS_RETENTION).
 */
export async function deleteExpiredOperations(db: Queryable, createdBefore: Date, limit: number): Promise<number> {
  const result = await db.query({
    name: "routing_deleteExpiredOperations",
    text: `DELETE FROM routing_operations WHERE id IN (
             SELECT o.id FROM routing_operations o
              WHERE o.created_at < $1
                AND o.routing_generation < (SELECT max(n.routing_generation) FROM routing_operations n WHERE n.project_id = o.project_id)
              ORDER BY o.created_at LIMIT $2)`,
    values: [createdBefore, limit],
  });
  return result.rowCount ?? 0;
}
