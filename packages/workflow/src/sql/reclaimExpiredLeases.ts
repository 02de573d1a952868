import { notifySql, type Queryable } from "./rows";

/**
 * The sweeper's lease recovery: runs whose owner stopped renewing become pending again with
 * a bumped epoch, which fences the old owner out at once (it may be paused, not dead).
 * SKIP LOCKED lets every instance sweep at the same time without waiting on each other; the
 * row lock re-checks the expiry, so a lease renewed meanwhile is left alone.
 */
export async function reclaimExpiredLeases(db: Queryable, limit = 100): Promise<{ id: string; kind: string }[]> {
  const result = await db.query<{ id: string; kind: string }>({
    name: "workflow_reclaimExpiredLeases",
    text: `
      WITH expired AS (
        SELECT id FROM workflow_runs
        WHERE status = 'running' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      ), reclaimed AS (
        UPDATE workflow_runs r
        SET status = 'pending', owner = NULL, epoch = r.epoch + 1, lease_expires_at = NULL, updated_at = now()
        FROM expired WHERE r.id = expired.id
        RETURNING r.id, r.kind
      )
      SELECT id, kind, ${notifySql("ready")} FROM reclaimed`,
    values: [limit],
  });
  return result.rows;
}
