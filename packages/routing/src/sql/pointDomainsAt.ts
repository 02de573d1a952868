import type { Queryable } from "@hydra/db";

/** Points existing domains at a deployment. */
export async function pointDomainsAt(db: Queryable, domainIds: string[], deploymentId: string): Promise<void> {
  if (domainIds.length === 0) return;
  await db.query({
    name: "routing_pointDomainsAt",
    text: "UPDATE domains SET deployment_id = $2, updated_at = now() WHERE id = ANY($1::text[])",
    values: [domainIds, deploymentId],
  });
}
