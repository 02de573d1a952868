import type { Queryable } from "./queryable";

export interface LockedProject {
  id: string;
  workspaceId: string;
  liveDeploymentId: string | null;
  /** Creation sequence of the live deployment. */
  liveSequence: bigint | null;
  isRolledBack: boolean;
  routingGeneration: bigint;
}

/** Locks the project's row for the rest of the transaction: routing mutations of a project queue here. */
export async function lockProject(db: Queryable, projectId: string): Promise<LockedProject | undefined> {
  const { rows } = await db.query<LockedProject>(
    `SELECT p.id, p.workspace_id AS "workspaceId", p.live_deployment_id AS "liveDeploymentId",
            live.sequence AS "liveSequence", p.is_rolled_back AS "isRolledBack",
            p.routing_generation AS "routingGeneration"
       FROM projects p LEFT JOIN deployments live ON live.id = p.live_deployment_id
      WHERE p.id = $1
      FOR UPDATE OF p`,
    [projectId],
  );
  return rows[0];
}
