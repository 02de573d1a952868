import type { Queryable } from "./queryable";

/** Points existing domains at a deployment. */
export async function updateDomainDeployments(db: Queryable, domainIds: string[], deploymentId: string): Promise<void> {
  if (domainIds.length === 0) return;
  await db.query(
    "UPDATE domains SET deployment_id = $2, updated_at = now() WHERE id = ANY($1::text[])",
    [domainIds, deploymentId],
  );
}
