import { notifySql, type Queryable } from "./rows";

/**
 * At start, once this owner holds its session lock (so no other live process uses its id):
 * runs still marked as ours belong to a previous incarnation that died. They become pending
 * with a bumped epoch, announced, and are claimed again at once.
 */
export async function reclaimOwnRuns(db: Queryable, owner: string): Promise<{ id: string; kind: string }[]> {
  const result = await db.query<{ id: string; kind: string }>({
    text: `
      WITH reclaimed AS (
        UPDATE workflow_runs r
        SET status = 'pending', owner = NULL, epoch = r.epoch + 1, lease_expires_at = NULL, updated_at = now()
        WHERE owner = $1 AND status = 'running'
        RETURNING r.id, r.kind
      )
      SELECT id, kind, ${notifySql("ready")} FROM reclaimed`,
    values: [owner],
  });
  return result.rows;
}
