import type { Queryable } from "./rows";

/**
 * Runs of a kind for a key that have not ended (e.g. the pending standby of a deployment),
 * read from the engine's table so they can be cancelled through the engine.
 */
export async function findActiveRuns(db: Queryable, kind: string, key: string): Promise<string[]> {
  const result = await db.query<{ id: string }>({
    name: "deploy_findActiveRuns",
    text: `SELECT id FROM workflow_runs WHERE kind = $1 AND key = $2 AND status NOT IN ('completed', 'failed', 'cancelled') ORDER BY created_at`,
    values: [kind, key],
  });
  return result.rows.map((r) => r.id);
}

/**
 * Older deployments of the same environment and branch that have not reached routing: a
 * newer deployment supersedes them.
 */
export async function findSupersedable(db: Queryable, deployment: { id: string; environmentId: string; branch: string; sequence: bigint }): Promise<{ id: string; workflow_id: string | null }[]> {
  const result = await db.query<{ id: string; workflow_id: string | null }>({
    name: "deploy_findSupersedable",
    text: `SELECT id, workflow_id FROM deployments
           WHERE environment_id = $1 AND branch = $2 AND sequence < $3 AND id <> $4
             AND status IN ('pending', 'building', 'deploying')`,
    values: [deployment.environmentId, deployment.branch, deployment.sequence, deployment.id],
  });
  return result.rows;
}
