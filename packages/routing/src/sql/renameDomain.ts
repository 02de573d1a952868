import type { Queryable } from "@hydra/db";

/** Renames one of the project's domains and its gateway config (keyed by hostname) together. */
export async function renameDomain(db: Queryable, projectId: string, from: string, to: string): Promise<void> {
  await db.query({
    name: "routing_renameDomain",
    text: `WITH renamed AS (
             UPDATE domains SET name = $3, updated_at = now() WHERE project_id = $1 AND name = $2 RETURNING id
           )
           UPDATE gateway_configs SET hostname = $3, updated_at = now() WHERE project_id = $1 AND hostname = $2`,
    values: [projectId, from, to],
  });
}
