import type { Queryable } from "@hydra/db";

/**
 * Older deployments of the same environment and branch that have not reached routing: a
 * newer deployment supersedes them.
 */
export async function findSupersedable(
  db: Queryable,
  deployment: { id: string; environmentId: string; branch: string; sequence: bigint },
): Promise<{ id: string; workflow_id: string | null }[]> {
  const result = await db.query<{ id: string; workflow_id: string | null }>({
    name: "deploy_findSupersedable",
    text: `SELECT id, workflow_id FROM deployments
           WHERE environment_id = $1 AND branch = $2 AND sequence < $3 AND id <> $4
             AND status IN ('pending', 'building', 'deploying')`,
    values: [deployment.environmentId, deployment.branch, deployment.sequence, deployment.id],
  });
  return result.rows;
}
