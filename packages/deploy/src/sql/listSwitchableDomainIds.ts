import type { Queryable } from "@hydra/db";

/** Ids of the environment's LIVE and ENVIRONMENT domains: what rollback and promote move. */
export async function listSwitchableDomainIds(
  db: Queryable,
  projectId: string,
  environmentId: string,
): Promise<string[]> {
  const result = await db.query<{ id: string }>({
    name: "deploy_listSwitchableDomainIds",
    text: `SELECT id FROM domains WHERE project_id = $1 AND environment_id = $2 AND sticky IN ('live', 'environment') ORDER BY name`,
    values: [projectId, environmentId],
  });
  return result.rows.map((r) => r.id);
}
