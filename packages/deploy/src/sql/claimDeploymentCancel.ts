import type { Queryable } from "@hydra/db";

/**
 * Claims a cancel on a deployment that has not begun routing. The move to NETWORK is a
 * conditional update of the same row (`unlessCancelRequested`), so either the cancel or the
 * routing wins, never both. True when the cancel is claimed (now or earlier).
 */
export async function claimDeploymentCancel(db: Queryable, deploymentId: string, reason: string): Promise<boolean> {
  const result = await db.query({
    name: "deploy_claimDeploymentCancel",
    text: `UPDATE deployments
           SET cancel_requested_at = coalesce(cancel_requested_at, now()), cancel_reason = coalesce(cancel_reason, $2), updated_at = now()
           WHERE id = $1 AND status IN ('pending', 'building', 'deploying')
           RETURNING id`,
    values: [deploymentId, reason],
  });
  return (result.rowCount ?? 0) > 0;
}
