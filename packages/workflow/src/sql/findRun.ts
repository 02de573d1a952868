import type { Queryable, RunRow } from "./rows";

export async function findRun(db: Queryable, id: string): Promise<RunRow | null> {
  const result = await db.query<RunRow>("SELECT * FROM workflow_runs WHERE id = $1", [id]);
  return result.rows[0] ?? null;
}
