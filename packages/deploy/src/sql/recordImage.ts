import type { Queryable } from "@hydra/db";

export async function recordImage(db: Queryable, deploymentId: string, image: string): Promise<void> {
  await db.query({
    name: "deploy_recordImage",
    text: "UPDATE deployments SET image = $2, updated_at = now() WHERE id = $1",
    values: [deploymentId, image],
  });
}
