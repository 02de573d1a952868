import type { Queryable } from "@hydra/db";
import { DEPLOYMENT_COLUMNS, type DeploymentRow } from "./rows";

export interface ListDeploymentsParams {
  projectId: string;
  /** Only this environment, when set. */
  environmentSlug: string | null;
  /** Only deployments older than this sequence (the page token), when set. */
  beforeSequence: bigint | null;
  limit: number;
}

/** Newest first, by sequence (keyset paging: stable while deployments are added). */
export async function listDeployments(db: Queryable, p: ListDeploymentsParams): Promise<DeploymentRow[]> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_listDeployments",
    text: `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments d JOIN environments e ON e.id = d.environment_id
           WHERE d.project_id = $1
             AND ($2::text IS NULL OR e.slug = $2)
             AND ($3::bigint IS NULL OR d.sequence < $3)
           ORDER BY d.sequence DESC
           LIMIT $4`,
    values: [p.projectId, p.environmentSlug, p.beforeSequence, p.limit],
  });
  return result.rows;
}
