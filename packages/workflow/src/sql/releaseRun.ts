import { notifySql, type Queryable } from "./rows";

/** Graceful hand-back on shutdown: the run becomes pending and is announced for another instance. */
export async function releaseRun(db: Queryable, runId: string, epoch: bigint): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH released AS (
        UPDATE workflow_runs SET status = 'pending', owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        RETURNING id, kind
      )
      SELECT ${notifySql("ready")} FROM released`,
    values: [runId, epoch],
  });
  return result.rowCount === 1;
}
