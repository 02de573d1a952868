import type { Queryable } from "@hydra/db";

/** Drops outbox history at or below `position`: a watcher that far behind starts again from a snapshot. */
export async function pruneRouteChanges(db: Queryable, position: bigint): Promise<number> {
  const result = await db.query({
    name: "routing_pruneRouteChanges",
    text: "DELETE FROM route_changes WHERE position <= $1",
    values: [position.toString()],
  });
  return result.rowCount ?? 0;
}
