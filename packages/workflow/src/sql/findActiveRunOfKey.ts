import type { Queryable, RunRow } from "./rows";

/**
 * The run of `kind` for `key` that has not ended and whose cancellation nobody requested, if
 * any (the oldest). A run being cancelled no longer counts: what replaces it may start.
 */
export async function findActiveRunOfKey(db: Queryable, kind: string, key: string): Promise<RunRow | null> {
  const result = await db.query<RunRow>({
    name: "workflow_findActiveRunOfKey",
    text: `SELECT * FROM workflow_runs
           WHERE kind = $1 AND key = $2 AND status NOT IN ('completed', 'failed', 'cancelled')
             AND cancel_requested_at IS NULL
           ORDER BY created_at LIMIT 1`,
    values: [kind, key],
  });
  return result.rows[0] ?? null;
}
