import type { Queryable } from "@hydra/db";

/** Releases `owner`'s lease (nothing when another owner holds it now). */
export async function releaseDeploymentLock(db: Queryable, deploymentId: string, owner: string): Promise<void> {
  await db.query({
    name: "deploy_releaseDeploymentLock",
    text: "DELETE FROM deployment_locks WHERE deployment_id = $1 AND owner = $2",
    values: [deploymentId, owner],
  });
}
