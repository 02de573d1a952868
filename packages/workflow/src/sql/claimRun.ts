import type { Queryable, RunRow } from "./rows";

/**
 * Takes one pending run (woken by a notification). Every claim bumps the epoch, the fencing
 * token all later writes of this owner must present. Two instances racing for the same row
 * serialize on its row lock; the loser re-reads status = 'running' and gets nothing.
 */
export async function claimRun(
  db: Queryable,
  id: string,
  owner: string,
  leaseMs: number,
  kinds: string[],
): Promise<RunRow | null> {
  const result = await db.query<RunRow>({
    name: "workflow_claimRun",
    text: `
      UPDATE workflow_runs
      SET status = 'running', owner = $2, epoch = epoch + 1,
          lease_expires_at = now() + $3::int * interval '1 millisecond', wake_at = NULL, updated_at = now()
      WHERE id = $1 AND status = 'pending' AND kind = ANY($4::text[])
      RETURNING *`,
    values: [id, owner, leaseMs, kinds],
  });
  return result.rows[0] ?? null;
}
