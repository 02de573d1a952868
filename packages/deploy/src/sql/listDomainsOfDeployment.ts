import type { Queryable } from "@hydra/db";

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
