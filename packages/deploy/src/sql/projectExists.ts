import type { Queryable } from "@hydra/db";

export async function projectExists(db: Queryable, projectId: string): Promise<boolean> {
  const result = await db.query({
    name: "deploy_projectExists",
    text: "SELECT 1 FROM projects WHERE id = $1",
    values: [projectId],
  });
  return (result.rowCount ?? 0) > 0;
}
