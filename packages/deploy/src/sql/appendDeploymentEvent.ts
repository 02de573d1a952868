import type { Queryable } from "@hydra/db";
import { EVENTS_CHANNEL } from "./rows";

/** Records a step event of a deployment and wakes its watchers. */
export async function appendDeploymentEvent(
  db: Queryable,
  deploymentId: string,
  kind: "step",
  payload: Record<string, unknown>,
): Promise<void> {
  await db.query({
    name: "deploy_appendDeploymentEvent",
    text: `
      WITH event AS (
        INSERT INTO deployment_events (deployment_id, kind, payload)
        SELECT id, $2, $3::jsonb FROM deployments WHERE id = $1
        RETURNING id, deployment_id
      )
      SELECT pg_notify('${EVENTS_CHANNEL}', json_build_object('deployment_id', deployment_id, 'event_id', id)::text) FROM event`,
    values: [deploymentId, kind, JSON.stringify(payload)],
  });
}
