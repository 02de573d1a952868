import type { Queryable } from "@hydra/db";
import type { LockedProjectRow } from "./rows";

/** Locks the project's row for the rest of the transaction: routing mutations of a project queue here. */
export async function lockProject(db: Queryable, projectId: string): Promise<LockedProjectRow | undefined> {
  const { rows } = await db.query<LockedProjectRow>({
    name: "routing_lockProject",
    text: `SELECT p.id, p.workspace_id, p.live_deployment_id, live.sequence AS live_sequence, p.is_rolled_back, p.routing_generation
             FROM projects p LEFT JOIN deployments live ON live.id = p.live_deployment_id
            WHERE p.id = $1
              FOR UPDATE OF p`,
    values: [projectId],
  });
  return rows[0];
}
