import type { Queryable } from "@hydra/db";
import type { StickyLevel } from "@hydra/routing";
import type { DeploymentStatus } from "./rows";

export interface LifecycleFacts {
  id: string;
  status: DeploymentStatus;
  desiredState: "running" | "standby" | "archived";
  live: boolean;
  /** Sticky levels of the domains pointing at it. */
  domains: StickyLevel[];
  /** A standby run of it has not ended and nobody asked to cancel it. */
  standbyPending: boolean;
}

interface Row {
  id: string;
  status: DeploymentStatus;
  desired_state: LifecycleFacts["desiredState"];
  live: boolean;
  domains: StickyLevel[];
  standby_pending: boolean;
}

/**
 * What the lifecycle rule (lifecycle.ts) decides on, for a project's deployments that may be
 * running (READY, desired running) — or for one deployment of it when `deploymentId` is given.
 */
export async function listLifecycleFacts(
  db: Queryable,
  where: { projectId: string; deploymentId?: string },
): Promise<LifecycleFacts[]> {
  const result = await db.query<Row>({
    name: "deploy_listLifecycleFacts",
    text: `SELECT d.id, d.status, d.desired_state, coalesce(p.live_deployment_id = d.id, false) AS live,
                  coalesce(array_agg(DISTINCT m.sticky::text) FILTER (WHERE m.id IS NOT NULL), '{}') AS domains,
                  EXISTS (SELECT 1 FROM workflow_runs r
                          WHERE r.kind = 'standby' AND r.key = d.id AND r.status NOT IN ('completed', 'failed', 'cancelled')
                            AND r.cancel_requested_at IS NULL) AS standby_pending
           FROM deployments d
           JOIN projects p ON p.id = d.project_id
           LEFT JOIN domains m ON m.deployment_id = d.id
           WHERE d.project_id = $1
             AND ($2::text IS NULL OR d.id = $2)
             AND ($2::text IS NOT NULL OR (d.status = 'ready' AND d.desired_state = 'running'))
           GROUP BY d.id, p.live_deployment_id
           ORDER BY d.sequence`,
    values: [where.projectId, where.deploymentId ?? null],
  });
  return result.rows.map((r) => ({
    id: r.id,
    status: r.status,
    desiredState: r.desired_state,
    live: r.live,
    domains: r.domains,
    standbyPending: r.standby_pending,
  }));
}
