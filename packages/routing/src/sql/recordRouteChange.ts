import type { Queryable } from "@hydra/db";
import { ROUTE_CHANGES_CHANNEL, type StoredRouteChange } from "./rows";

/**
 * Writes the transaction's route change to the outbox at the next position. Run it as the
 * transaction's last statement: the head row stays locked until commit, so routing commits
 * that change routes take positions one at a time, in commit order (the lock is held only for
 * the commit itself). The NOTIFY is delivered at commit, never for a rolled-back change.
 */
export async function recordRouteChange(
  db: Queryable,
  projectId: string,
  routingGeneration: bigint,
  routes: StoredRouteChange[],
): Promise<bigint> {
  const { rows } = await db.query<{ position: bigint }>({
    name: "routing_recordRouteChange",
    text: `WITH head AS (UPDATE route_stream_head SET position = position + 1 WHERE id RETURNING position)
           INSERT INTO route_changes (position, project_id, routing_generation, routes, committed_at)
           SELECT position, $1, $2, $3::jsonb, clock_timestamp() FROM head
           RETURNING position, pg_notify('${ROUTE_CHANGES_CHANNEL}', position::text)`,
    values: [projectId, routingGeneration.toString(), JSON.stringify(routes)],
  });
  return rows[0]!.position;
}
