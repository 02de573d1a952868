import type { Queryable } from "@hydra/db";

export async function createTopologies(
  db: Queryable,
  deploymentId: string,
  regions: Record<string, number>,
): Promise<void> {
  const names = Object.keys(regions).sort();
  await db.query({
    name: "deploy_createTopologies",
    text: `INSERT INTO deployment_topologies (deployment_id, region, desired_replicas, status, updated_at)
           SELECT $1, region, replicas, 'pending', now() FROM unnest($2::text[], $3::int[]) AS t(region, replicas)
           ON CONFLICT (deployment_id, region) DO NOTHING`,
    values: [deploymentId, names, names.map((n) => regions[n])],
  });
}
