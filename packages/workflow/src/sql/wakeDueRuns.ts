import { notifySql, type Queryable } from "./rows";

/**
 * The sweeper's timers: sleeping runs whose time (or deadline) has come become pending; a run
 * whose deadline passed before any worker started it fails (it has nothing to compensate).
 */
export async function wakeDueRuns(db: Queryable, limit = 100): Promise<{ id: string; kind: string; status: string }[]> {
  const result = await db.query<{ id: string; kind: string; status: string }>({
    name: "workflow_wakeDueRuns",
    text: `
      WITH due AS (
        SELECT id FROM workflow_runs
        WHERE (status = 'sleeping' AND (wake_at <= now() OR deadline_at <= now()))
           OR (status = 'pending' AND epoch = 0 AND deadline_at <= now())
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      ), woken AS (
        UPDATE workflow_runs r
        SET status = CASE WHEN r.status = 'pending' THEN 'failed' ELSE 'pending' END::workflow_run_status,
            error = CASE WHEN r.status = 'pending' THEN 'deadline exceeded before the run started' ELSE r.error END,
            ended_at = CASE WHEN r.status = 'pending' THEN now() ELSE r.ended_at END,
            wake_at = NULL, updated_at = now()
        FROM due WHERE r.id = due.id
        RETURNING r.id, r.kind, r.status
      )
      SELECT id, kind, status, ${notifySql("CASE WHEN status = 'failed' THEN 'ended' ELSE 'ready' END")} FROM woken`,
    values: [limit],
  });
  return result.rows;
}
