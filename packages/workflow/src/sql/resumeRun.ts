import { notifySql, type Queryable } from "./rows";

/**
 * An operator's resume of a paused run: it becomes pending (announced, so a worker claims it)
 * and the step that ran out of retries gets a fresh budget. False when it was not paused.
 */
export async function resumeRun(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query({
    text: `
      WITH run AS (
        UPDATE workflow_runs SET status = 'pending', error = NULL, error_code = NULL, error_kind = NULL, updated_at = now()
        WHERE id = $1 AND status = 'paused'
        RETURNING id, kind
      ), fresh_budget AS (
        UPDATE workflow_steps s SET attempts = 0
        FROM run WHERE s.run_id = run.id AND s.status = 'running'
        RETURNING 1
      )
      SELECT ${notifySql("ready")}, (SELECT count(*) FROM fresh_budget) AS steps_reset FROM run`,
    values: [id],
  });
  return result.rowCount === 1;
}
