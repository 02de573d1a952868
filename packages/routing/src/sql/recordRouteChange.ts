import type { Queryable } from "@hydra/db";
import { ROUTE_CHANGES_CHANNEL, ROUTE_CHANGE_COMMITTED, type StoredRouteChange } from "./rows";

/**
 * Writes the transaction's route change to the outbox, unsequenced (position NULL): the
 * sequencer (sequenceRouteChanges.ts) gives it its position once it committed. Run it as the
 * transaction's last statement: its id, from a sequence, is then taken after every row the
 * transaction wrote, so a transaction that had to wait for another's commit (it wrote a row
 * the other wrote) always gets the higher id, and the stream orders them as they committed.
 * No lock is taken: routing commits of different projects do not wait for each other. The
 * NOTIFY (the sequencer's cue) is delivered at commit, never for a rolled-back change.
 */
export async function recordRouteChange(
  db: Queryable,
  projectId: string,
  routingGeneration: bigint,
  routes: StoredRouteChange[],
): Promise<bigint> {
  const { rows } = await db.query<{ id: bigint }>({
    name: "routing_recordRouteChange",
    text: `INSERT INTO route_changes (project_id, routing_generation, routes, committed_at)
           VALUES ($1, $2, $3::jsonb, clock_timestamp())
           RETURNING id, pg_notify('${ROUTE_CHANGES_CHANNEL}', '${ROUTE_CHANGE_COMMITTED}')`,
    values: [projectId, routingGeneration.toString(), JSON.stringify(routes)],
  });
  return rows[0]!.id;
}
