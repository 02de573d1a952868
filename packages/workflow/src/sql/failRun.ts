import { notifySql, type Queryable } from "./rows";

/** Ends the run as failed (terminal error, deadline) or cancelled, after its compensations ran. */
export async function failRun(
  db: Queryable,
  runId: string,
  epoch: bigint,
  status: "failed" | "cancelled",
  error: string,
): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH done AS (
        UPDATE workflow_runs
        SET status = $3::workflow_run_status, error = $4, owner = NULL, lease_expires_at = NULL,
            ended_at = now(), updated_at = now()
        WHERE id = $1 AND epoch = $2 AND status = 'running'
        RETURNING id, kind
      )
      SELECT ${notifySql("ended")} FROM done`,
    values: [runId, epoch, status, error],
  });
  return result.rowCount === 1;
}
