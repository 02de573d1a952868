import type { Queryable } from "@hydra/db";

/** Whether any domain points at the deployment (it serves traffic, or is about to). */
export async function isRouted(db: Queryable, deploymentId: string): Promise<boolean> {
  const result = await db.query({
    name: "deploy_isRouted",
    text: "SELECT 1 FROM domains WHERE deployment_id = $1 LIMIT 1",
    values: [deploymentId],
  });
  return (result.rowCount ?? 0) > 0;
}
