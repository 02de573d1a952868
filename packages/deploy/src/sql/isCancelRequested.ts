import type { Queryable } from "@hydra/db";

export async function isCancelRequested(db: Queryable, runId: string): Promise<boolean> {
  const result = await db.query({
    name: "deploy_isCancelRequested",
    text: "SELECT 1 FROM workflow_runs WHERE id = $1 AND cancel_requested_at IS NOT NULL",
    values: [runId],
  });
  return (result.rowCount ?? 0) > 0;
}
