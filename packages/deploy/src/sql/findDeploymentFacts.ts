import type { Queryable } from "@hydra/db";
import type { DeploymentFacts } from "../preconditions";
import type { DeploymentStatus } from "./rows";

interface FactsRow {
  id: string;
  project_id: string;
  environment_id: string;
  production: boolean;
  status: DeploymentStatus;
}

/** What the Rollback and Promote preconditions look at for one deployment. */
export async function findDeploymentFacts(db: Queryable, id: string): Promise<DeploymentFacts | null> {
  const result = await db.query<FactsRow>({
    name: "deploy_findDeploymentFacts",
    text: `SELECT d.id, d.project_id, d.environment_id, e.production, d.status
           FROM deployments d JOIN environments e ON e.id = d.environment_id WHERE d.id = $1`,
    values: [id],
  });
  const row = result.rows[0];
  return row
    ? {
        id: row.id,
        projectId: row.project_id,
        environmentId: row.environment_id,
        production: row.production,
        status: row.status,
      }
    : null;
}
