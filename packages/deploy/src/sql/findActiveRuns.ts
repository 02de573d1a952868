import type { Queryable } from "@hydra/db";

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
