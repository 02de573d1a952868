import type { Queryable } from "@hydra/db";

export async function replaceInstances(
  db: Queryable,
  deploymentId: string,
  instances: { id: string; region: string; address: string; status: string }[],
): Promise<void> {
  await db.query({
    name: "deploy_replaceInstances",
    text: `WITH gone AS (
             DELETE FROM instances WHERE deployment_id = $1 AND NOT (id = ANY($2::text[]))
           )
           INSERT INTO instances (id, deployment_id, region, address, status, updated_at)
           SELECT id, $1, region, address, status, now()
           FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(id, region, address, status)
           ON CONFLICT (deployment_id, id) DO UPDATE SET address = EXCLUDED.address, status = EXCLUDED.status, updated_at = now()`,
    values: [
      deploymentId,
      instances.map((i) => i.id),
      instances.map((i) => i.region),
      instances.map((i) => i.address),
      instances.map((i) => i.status),
    ],
  });
}
