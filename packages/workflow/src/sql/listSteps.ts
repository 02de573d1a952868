import type { Queryable, StepRow } from "./rows";

export async function listSteps(db: Queryable, runId: string): Promise<StepRow[]> {
  const result = await db.query<StepRow>({
    name: "workflow_listSteps",
    text: "SELECT *, output IS NULL AS output_missing FROM workflow_steps WHERE run_id = $1 ORDER BY sequence",
    values: [runId],
  });
  return result.rows;
}
