import type { Queryable } from "@hydra/db";

export interface ProjectLive {
  liveDeploymentId: string | null;
  isRolledBack: boolean;
}

export async function findProjectLive(db: Queryable, projectId: string): Promise<ProjectLive | null> {
  const result = await db.query<{ live_deployment_id: string | null; is_rolled_back: boolean }>({
    name: "deploy_findProjectLive",
    text: "SELECT live_deployment_id, is_rolled_back FROM projects WHERE id = $1",
    values: [projectId],
  });
  const row = result.rows[0];
  return row ? { liveDeploymentId: row.live_deployment_id, isRolledBack: row.is_rolled_back } : null;
}
