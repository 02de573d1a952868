import type { Queryable, RunRow, RunStatus } from "./rows";

export interface RunFilter {
  status?: RunStatus[];
  kind?: string;
  key?: string;
  /** Default 100, at most 1,000. */
  limit?: number;
}

/** For operators: runs by status / kind / key, newest first (e.g. every paused run). */
export async function listRuns(db: Queryable, filter: RunFilter): Promise<RunRow[]> {
  const limit = Math.min(Math.max(1, filter.limit ?? 100), 1_000);
  const result = await db.query<RunRow>(
    `SELECT * FROM workflow_runs
     WHERE ($1::workflow_run_status[] IS NULL OR status = ANY($1::workflow_run_status[]))
       AND ($2::text IS NULL OR kind = $2)
       AND ($3::text IS NULL OR key = $3)
     ORDER BY created_at DESC
     LIMIT $4`,
    [filter.status ?? null, filter.kind ?? null, filter.key ?? null, limit],
  );
  return result.rows;
}
