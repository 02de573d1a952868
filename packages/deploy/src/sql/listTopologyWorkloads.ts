import type { Queryable } from "@hydra/db";

export interface TopologyWorkload {
  region: string;
  desiredReplicas: number;
  status: string;
  workload: unknown;
}

export async function listTopologyWorkloads(db: Queryable, deploymentId: string): Promise<TopologyWorkload[]> {
  const result = await db.query<{ region: string; desired_replicas: number; status: string; workload: unknown }>({
    name: "deploy_listTopologyWorkloads",
    text: "SELECT region, desired_replicas, status, workload FROM deployment_topologies WHERE deployment_id = $1 ORDER BY region",
    values: [deploymentId],
  });
  return result.rows.map((r) => ({
    region: r.region,
    desiredReplicas: r.desired_replicas,
    status: r.status,
    workload: r.workload,
  }));
}
