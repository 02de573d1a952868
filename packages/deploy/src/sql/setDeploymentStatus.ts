import type { Queryable } from "@hydra/db";
import { EVENTS_CHANNEL, type DeploymentStatus } from "./rows";

export interface SetDeploymentStatusParams {
  id: string;
  status: DeploymentStatus;
  reason?: string;
  failedStep?: string;
  /** Only move from one of these (e.g. never out of a terminal status); any when omitted. */
  from?: DeploymentStatus[];
  /** Only move when no cancel was claimed on the deployment (the move to NETWORK). */
  unlessCancelRequested?: boolean;
}

/**
 * Moves a deployment's status and records the status event in the same statement, then
 * wakes watchers. Returns false when the deployment was not in an allowed `from` status (or
 * already had this status: a replayed step writes no second event).
 */
export async function setDeploymentStatus(db: Queryable, p: SetDeploymentStatusParams): Promise<boolean> {
  const result = await db.query({
    name: "deploy_setDeploymentStatus",
    text: `
      WITH updated AS (
        UPDATE deployments
        SET status = $2::deployment_status,
            failure_reason = CASE WHEN $2 IN ('failed', 'cancelled', 'superseded') THEN $3 ELSE failure_reason END,
            failed_step = CASE WHEN $2 = 'failed' THEN $4 ELSE failed_step END,
            updated_at = now()
        WHERE id = $1 AND status <> $2::deployment_status
          AND ($5::deployment_status[] IS NULL OR status = ANY($5::deployment_status[]))
          AND (NOT $6::boolean OR cancel_requested_at IS NULL)
        RETURNING id
      ), event AS (
        INSERT INTO deployment_events (deployment_id, kind, payload)
        SELECT id, 'status', json_build_object('status', $2::text, 'reason', coalesce($3, ''), 'step', coalesce($4, ''))::jsonb
        FROM updated
        RETURNING id, deployment_id
      )
      SELECT pg_notify('${EVENTS_CHANNEL}', json_build_object('deployment_id', deployment_id, 'event_id', id)::text) FROM event`,
    values: [p.id, p.status, p.reason ?? null, p.failedStep ?? null, p.from ?? null, p.unlessCancelRequested ?? false],
  });
  return (result.rowCount ?? 0) > 0;
}
