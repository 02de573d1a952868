import type { Queryable } from "./rows";

export interface TopologyRow {
  region: string;
  desired_replicas: number;
  status: string;
}

export interface InstanceRow {
  id: string;
  region: string;
  address: string;
  status: string;
}

export interface DomainRow {
  id: string;
  name: string;
  sticky: "unspecified" | "branch" | "environment" | "live";
  deployment_id: string;
  environment_id: string | null;
  project_id: string;
  workspace_id: string;
  updated_at: Date;
}

export async function listTopologies(db: Queryable, deploymentId: string): Promise<TopologyRow[]> {
  const result = await db.query<TopologyRow>({
    name: "deploy_listTopologies",
    text: "SELECT region, desired_replicas, status FROM deployment_topologies WHERE deployment_id = $1 ORDER BY region",
    values: [deploymentId],
  });
  return result.rows;
}

export async function listInstances(db: Queryable, deploymentId: string): Promise<InstanceRow[]> {
  const result = await db.query<InstanceRow>({
    name: "deploy_listInstances",
    text: "SELECT id, region, address, status FROM instances WHERE deployment_id = $1 ORDER BY region, id",
    values: [deploymentId],
  });
  return result.rows;
}

/** The domains that point at this deployment now. */
export async function listDomainsOfDeployment(db: Queryable, deploymentId: string): Promise<DomainRow[]> {
  const result = await db.query<DomainRow>({
    name: "deploy_listDomainsOfDeployment",
    text: `SELECT id, name, sticky, deployment_id, environment_id, project_id, workspace_id, updated_at
           FROM domains WHERE deployment_id = $1 ORDER BY name`,
    values: [deploymentId],
  });
  return result.rows;
}
