import type { Queryable } from "@hydra/db";

export interface InstanceRow {
  id: string;
  region: string;
  address: string;
  status: string;
}

export async function listInstances(db: Queryable, deploymentId: string): Promise<InstanceRow[]> {
  const result = await db.query<InstanceRow>({
    name: "deploy_listInstances",
    text: "SELECT id, region, address, status FROM instances WHERE deployment_id = $1 ORDER BY region, id",
    values: [deploymentId],
  });
  return result.rows;
}
