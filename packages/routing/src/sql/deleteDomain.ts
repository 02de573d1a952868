import type { Queryable } from "@hydra/db";

/** Deletes one of the project's domains and its gateway config together. */
export async function deleteDomain(db: Queryable, projectId: string, name: string): Promise<void> {
  await db.query({
    name: "routing_deleteDomain",
    text: `WITH deleted AS (
             DELETE FROM domains WHERE project_id = $1 AND name = $2 RETURNING id
           )
           DELETE FROM gateway_configs WHERE project_id = $1 AND hostname = $2`,
    values: [projectId, name],
  });
}
