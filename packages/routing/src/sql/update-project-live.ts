import type { Queryable } from "./queryable";

/** Moves the project's live pointer and sets its rolled-back flag. */
export async function updateProjectLive(db: Queryable, projectId: string, liveDeploymentId: string, isRolledBack: boolean): Promise<void> {
  await db.query(
    "UPDATE projects SET live_deployment_id = $2, is_rolled_back = $3, updated_at = now() WHERE id = $1",
    [projectId, liveDeploymentId, isRolledBack],
  );
}
