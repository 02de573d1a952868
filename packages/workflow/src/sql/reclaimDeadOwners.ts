import { ownerLockHeldSql } from "./ownerLock";
import { notifySql, type Queryable } from "./rows";

/**
 * Crash recovery: the running runs of owners whose session lock is (still) free become pending
 * with a bumped epoch, exactly as an expired lease would (reclaimExpiredLeases), and are
 * announced; the owners leave the watched set. The lock is re-checked here, under the owner
 * row's lock, so an owner that came back meanwhile keeps its runs. SKIP LOCKED: one sweeper
 * handles an owner, the others move on.
 */
export async function reclaimDeadOwners(
  db: Queryable,
  owners: string[],
): Promise<{ id: string; kind: string; owner: string }[]> {
  if (owners.length === 0) return [];
  const result = await db.query<{ id: string; kind: string; owner: string }>({
    name: "workflow_reclaimDeadOwners",
    text: `
      WITH dead AS (
        SELECT owner FROM workflow_owners o
        WHERE owner = ANY($1::text[]) AND NOT ${ownerLockHeldSql("o.owner")}
        FOR UPDATE SKIP LOCKED
      ), runs AS (
        SELECT r.id, r.owner FROM workflow_runs r JOIN dead ON r.owner = dead.owner
        WHERE r.status = 'running'
        FOR UPDATE OF r
      ), reclaimed AS (
        UPDATE workflow_runs r
        SET status = 'pending', owner = NULL, epoch = r.epoch + 1, lease_expires_at = NULL, updated_at = now()
        FROM runs WHERE r.id = runs.id
        RETURNING r.id, r.kind, runs.owner
      ), gone AS (
        DELETE FROM workflow_owners o USING dead WHERE o.owner = dead.owner
      )
      SELECT id, kind, owner, ${notifySql("ready")} FROM reclaimed`,
    values: [owners],
  });
  return result.rows;
}
