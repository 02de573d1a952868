import type { Queryable } from "@hydra/db";

export async function findDesiredState(
  db: Queryable,
  deploymentId: string,
): Promise<{ desiredState: string; projectId: string } | null> {
  const result = await db.query<{ desired_state: string; project_id: string }>({
    name: "deploy_findDesiredState",
    text: "SELECT desired_state, project_id FROM deployments WHERE id = $1",
    values: [deploymentId],
  });
  const row = result.rows[0];
  return row ? { desiredState: row.desired_state, projectId: row.project_id } : null;
}
