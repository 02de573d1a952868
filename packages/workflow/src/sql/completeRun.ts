import { notifySql, toJsonParam, type Queryable } from "./rows";

/** The run's outcome, written once: fenced by the epoch, announced to result() waiters. */
export async function completeRun(db: Queryable, runId: string, epoch: bigint, output: unknown): Promise<boolean> {
  const result = await db.query({
    name: "workflow_completeRun",
    text: `
      WITH done AS (
        UPDATE workflow_runs
        SET status = 'completed', output = $3::jsonb, error = NULL, error_code = NULL, error_kind = NULL, owner = NULL, lease_expires_at = NULL,
            ended_at = now(), updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        RETURNING id, kind
      )
      SELECT ${notifySql("ended")} FROM done`,
    values: [runId, epoch, toJsonParam(output)],
  });
  return result.rowCount === 1;
}
