import type { Queryable } from "@hydra/db";

/** The status of a workflow run (the deploy run behind a deployment's event stream), or null. */
export async function findRunStatus(db: Queryable, runId: string): Promise<string | null> {
  const result = await db.query<{ status: string }>({
    name: "deploy_findRunStatus",
    text: "SELECT status::text AS status FROM workflow_runs WHERE id = $1",
    values: [runId],
  });
  return result.rows[0]?.status ?? null;
}
