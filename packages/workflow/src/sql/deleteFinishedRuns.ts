import type { Queryable } from "./rows";

/**
 * Deletes up to `limit` runs that ended (completed, failed, cancelled) before `endedBefore`,
 * oldest first; their steps go with them (ON DELETE CASCADE). A run that has not ended —
 * pending, running, sleeping (a durable timer), paused — is never deleted, so every run can
 * still resume. Returns how many were deleted.
 */
export async function deleteFinishedRuns(db: Queryable, endedBefore: Date, limit: number): Promise<number> {
  const result = await db.query({
    name: "workflow_deleteFinishedRuns",
    text: `DELETE FROM workflow_runs WHERE id IN (
             SELECT id FROM workflow_runs
              WHERE status IN ('completed', 'failed', 'cancelled') AND ended_at < $1
              ORDER BY ended_at LIMIT $2)`,
    values: [endedBefore, limit],
  });
  return result.rowCount ?? 0;
}
