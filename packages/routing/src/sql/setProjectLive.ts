import type { Queryable } from "@hydra/db";

/** Moves the project's live pointer and sets its rolled-back flag. */
export async function setProjectLive(
  db: Queryable,
  projectId: string,
  liveDeploymentId: string,
  isRolledBack: boolean,
): Promise<void> {
  await db.query({
    name: "routing_setProjectLive",
    text: "UPDATE projects SET live_deployment_id = $2, is_rolled_back = $3, updated_at = now() WHERE id = $1",
    values: [projectId, liveDeploymentId, isRolledBack],
  });
}
