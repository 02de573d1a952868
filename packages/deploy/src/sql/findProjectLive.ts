import type { Queryable } from "./rows";

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

/** Ids of the environment's LIVE and ENVIRONMENT domains: what rollback and promote move. */
export async function listSwitchableDomainIds(db: Queryable, projectId: string, environmentId: string): Promise<string[]> {
  const result = await db.query<{ id: string }>({
    name: "deploy_listSwitchableDomainIds",
    text: `SELECT id FROM domains WHERE project_id = $1 AND environment_id = $2 AND sticky IN ('live', 'environment') ORDER BY name`,
    values: [projectId, environmentId],
  });
  return result.rows.map((r) => r.id);
}
