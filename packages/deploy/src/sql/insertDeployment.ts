import type { Queryable } from "@hydra/db";
import type { CheckedDeploymentInput } from "../deployment-input";
import { DEPLOYMENT_COLUMNS, type DeploymentRow } from "./rows";

/** A checked CreateDeployment, its environment resolved, with the new row's ids. */
export interface InsertDeploymentParams extends Omit<CheckedDeploymentInput, "environmentSlug"> {
  id: string;
  environmentId: string;
  workflowId: string;
}

/**
 * Inserts a deployment with the project's next sequence number (the order "newest wins"
 * compares), taken from the project row in the same statement. Returns null when the
 * idempotency key was used already (the caller reads that deployment instead).
 */
export async function insertDeployment(db: Queryable, p: InsertDeploymentParams): Promise<DeploymentRow | null> {
  const result = await db.query<DeploymentRow>({
    name: "deploy_insertDeployment",
    text: `
      WITH next AS (
        UPDATE projects SET deployment_sequence = deployment_sequence + 1, updated_at = now()
        WHERE id = $2
        RETURNING id, workspace_id, deployment_sequence
      ), d AS (
        INSERT INTO deployments (id, workspace_id, project_id, environment_id, sequence, branch, commit_sha,
                                 commit_message, author_handle, commit_at, source, command, workflow_id, idempotency_key, updated_at)
        SELECT $1, next.workspace_id, next.id, $3, next.deployment_sequence, $4, $5, $6, $7, $8, $9::jsonb, $10::text[], $11, $12, now()
        FROM next
        ON CONFLICT (project_id, idempotency_key) DO NOTHING
        RETURNING *
      )
      SELECT ${DEPLOYMENT_COLUMNS} FROM d JOIN environments e ON e.id = d.environment_id`,
    values: [
      p.id,
      p.projectId,
      p.environmentId,
      p.branch,
      p.commitSha,
      p.commitMessage,
      p.authorHandle,
      p.commitAt,
      JSON.stringify(p.source),
      p.command,
      p.workflowId,
      p.idempotencyKey,
    ],
  });
  return result.rows[0] ?? null;
}
