import type { Queryable } from "@hydra/db";

export async function recordBuildId(db: Queryable, deploymentId: string, buildId: string): Promise<void> {
  await db.query({
    name: "deploy_recordBuildId",
    text: "UPDATE deployments SET build_id = $2, updated_at = now() WHERE id = $1",
    values: [deploymentId, buildId],
  });
}
