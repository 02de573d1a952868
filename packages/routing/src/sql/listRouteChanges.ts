import type { Queryable } from "@hydra/db";
import type { RouteChangeRow } from "./rows";

/** Committed route changes after `afterPosition`, oldest first. */
export async function listRouteChanges(db: Queryable, afterPosition: bigint, limit: number): Promise<RouteChangeRow[]> {
  const { rows } = await db.query<RouteChangeRow>({
    name: "routing_listRouteChanges",
    text: `SELECT position, project_id, routing_generation, routes, committed_at
             FROM route_changes WHERE position > $1 ORDER BY position LIMIT $2`,
    values: [afterPosition.toString(), limit],
  });
  return rows;
}
