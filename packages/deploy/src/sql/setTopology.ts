import type { Queryable } from "@hydra/db";

export async function setTopology(
  db: Queryable,
  deploymentId: string,
  region: string,
  status: string,
  workload?: unknown,
): Promise<void> {
  await db.query({
    name: "deploy_setTopology",
    text: `UPDATE deployment_topologies SET status = $3, workload = coalesce($4::jsonb, workload), updated_at = now()
           WHERE deployment_id = $1 AND region = $2`,
    values: [deploymentId, region, status, workload === undefined ? null : JSON.stringify(workload)],
  });
}
