import type { Queryable } from "@hydra/db";

export async function findBuildId(db: Queryable, deploymentId: string): Promise<string | null> {
  const result = await db.query<{ build_id: string | null }>({
    name: "deploy_findBuildId",
    text: "SELECT build_id FROM deployments WHERE id = $1",
    values: [deploymentId],
  });
  return result.rows[0]?.build_id ?? null;
}
