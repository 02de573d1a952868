import type { Queryable } from "@hydra/db";

export interface TopologyRow {
  region: string;
  desired_replicas: number;
  status: string;
}

export async function listTopologies(db: Queryable, deploymentId: string): Promise<TopologyRow[]> {
  const result = await db.query<TopologyRow>({
    name: "deploy_listTopologies",
    text: "SELECT region, desired_replicas, status FROM deployment_topologies WHERE deployment_id = $1 ORDER BY region",
    values: [deploymentId],
  });
  return result.rows;
}
