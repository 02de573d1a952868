import type { Queryable, RunRow } from "./rows";

/** Takes up to `limit` pending runs of the given kinds, oldest first, skipping rows other instances hold. */
export async function claimPendingRuns(
  db: Queryable,
  owner: string,
  leaseMs: number,
  kinds: string[],
  limit: number,
): Promise<RunRow[]> {
  const result = await db.query<RunRow>({
    name: "workflow_claimPendingRuns",
    text: `
      UPDATE workflow_runs r
      SET status = 'running', owner = $1, epoch = r.epoch + 1,
          lease_expires_at = now() + $2::int * interval '1 millisecond', wake_at = NULL, updated_at = now()
      FROM (
        SELECT id FROM workflow_runs
        WHERE status = 'pending' AND kind = ANY($3::text[])
        ORDER BY created_at
        LIMIT $4
        FOR UPDATE SKIP LOCKED
      ) due
      WHERE r.id = due.id
      RETURNING r.*`,
    values: [owner, leaseMs, kinds, limit],
  });
  return result.rows;
}
